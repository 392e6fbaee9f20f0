"""The site's header and footer are rendered once per process (the "process" cache), so
everything that varies in them must be in the fragment's key or outside the fragment."""

import pytest
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_header_is_rendered_once_and_then_reused() -> None:
    Client().get(reverse("privacy:notice"))
    cached = len(caches["process"]._cache)
    Client().get(reverse("merchants:apply"))
    assert cached > 0
    assert len(caches["process"]._cache) == cached


def test_someone_logged_in_gets_their_own_header_after_a_visitor_was_served() -> None:
    assert "Log in" in Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("privacy:notice")).text
    member = Client(HTTP_ACCEPT_LANGUAGE="en")
    member.force_login(UserFactory())
    page = member.get(reverse("privacy:notice")).text
    assert reverse("orders:list") in page
    assert "Log in" not in page


def test_each_language_gets_its_own_header_and_footer() -> None:
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("privacy:notice")).text
    chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(reverse("privacy:notice")).text
    assert ">Cart<" in english and ">购物车<" in chinese
    assert '<option value="en" selected>' in english
    assert '<option value="zh-hans" selected>' in chinese


def test_the_language_form_returns_to_the_page_it_was_on() -> None:
    browser = Client()
    browser.get(reverse("privacy:notice"))
    page = browser.get(reverse("merchants:apply")).text
    assert f'name="next" type="hidden" value="{reverse("merchants:apply")}"' in page
