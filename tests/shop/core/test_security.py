import re

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher

from shop.settings import PASSWORD_HASHERS as PRODUCTION_HASHERS
from tests.factories import MerchantFactory
from tests.merchants.world import merchant_user

pytestmark = pytest.mark.django_db

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def _directives(policy: str) -> dict[str, str]:
    return dict(d.strip().split(" ", 1) for d in policy.split(";"))


def _admin_policy(client) -> str:
    """The policy of a merchant's admin page, whose theme runs Alpine."""
    client.force_login(merchant_user(MerchantFactory()))
    response = client.get("/admin/catalogue/product/")
    assert response.status_code == 200
    return response.headers["Content-Security-Policy"]


def test_pages_send_a_content_security_policy_without_inline_script(client) -> None:
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = _directives(policy)
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe-inline" not in policy


def test_admin_pages_run_their_scripts_without_unsafe_eval(client) -> None:
    directives = _directives(_admin_policy(client))
    assert directives["script-src"] == "'self'"


def test_admin_pages_allow_no_inline_style_attributes(client) -> None:
    policy = _admin_policy(client)
    assert "style-src-attr" not in _directives(policy)
    assert "unsafe-inline" not in policy


def test_no_template_has_inline_script_style_or_event_handlers() -> None:
    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for path in (settings.BASE_DIR / "templates").rglob("*.html")
        if INLINE.search(path.read_text())
    ]
    assert offenders == []


def test_new_passwords_are_hashed_with_argon2() -> None:
    assert PRODUCTION_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    hasher = Argon2PasswordHasher()
    assert hasher.encode("correct-horse-battery", hasher.salt()).startswith("argon2$argon2id$")
