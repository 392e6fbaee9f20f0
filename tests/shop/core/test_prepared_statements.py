import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from shop.catalogue.models import Product
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _prepared(fragment: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [sql for (sql,) in cursor.fetchall() if fragment in sql]


def test_a_statement_run_twice_is_prepared_on_the_server_with_its_values_as_parameters() -> None:
    first, second = ProductFactory(), ProductFactory()
    for product in (first, second, first):
        assert Product.objects.filter(title=product.title).get() == product
    [statement] = _prepared('WHERE "catalogue_product"."title" = $1')
    assert first.title not in statement


def _options(**env: str) -> dict:
    """The default database's OPTIONS as settings build them in a fresh process."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.DATABASES['default']['OPTIONS']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "shop.settings", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_prepared_statements_can_be_switched_off_for_an_old_pgbouncer() -> None:
    assert _options()["server_side_binding"] is True
    options = _options(DATABASE_PREPARED_STATEMENTS="0")
    assert "server_side_binding" not in options
    assert "prepare_threshold" not in options
