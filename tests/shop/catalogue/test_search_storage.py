import pytest
from django.db import connection

from tests.search import indexed

pytestmark = pytest.mark.django_db

LONG = " ".join(f"flavour{n}" for n in range(400))
"""A description of 400 distinct words: a vector well past the size PostgreSQL compresses."""


def test_a_long_search_vector_is_stored_compressed_with_lz4() -> None:
    product = indexed(description_en=LONG)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(search_vector) FROM catalogue_product WHERE id = %s",
            [product.pk],
        )
        assert cursor.fetchone() == ("lz4",)
