"""Every `next` the accounts pages (and the admin's login) honour stays on this site."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from tests.factories import AddressFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "gift-shop-2026!"
OFF_SITE = ["https://evil.example/", "//evil.example/x", "\\\\evil.example", "/\\evil.example"]
LOCAL = "/cart/?from=login"
ADDRESS = {
    "recipient_name": "李四",
    "phone": "13912345678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "street": "文三路 1 号",
    "postcode": "",
}


def _with_next(url: str, target: str) -> str:
    return f"{url}?{urlencode({'next': target})}"


def _signup(client, target: str):
    form = {"email": "ming@example.com", "password1": PASSWORD, "password2": PASSWORD}
    return client.post(_with_next(reverse("accounts:signup"), target), form)


def _address_add(client, target: str):
    client.force_login(UserFactory())
    return client.post(_with_next(reverse("accounts:address_add"), target), ADDRESS)


def _address_edit(client, target: str):
    address = AddressFactory()
    client.force_login(address.user)
    url = reverse("accounts:address_edit", args=[address.pk])
    return client.post(_with_next(url, target), ADDRESS)


def _login(client, target: str):
    user = UserFactory(password=PASSWORD)
    form = {"username": user.email, "password": PASSWORD, "next": target}
    return client.post(reverse("accounts:login"), form)


def _admin_login(client, target: str):
    user = UserFactory(password=PASSWORD, is_staff=True)
    form = {"username": user.email, "password": PASSWORD, "next": target}
    return client.post(reverse("admin:login"), form)


def _logout(client, target: str):
    client.force_login(UserFactory())
    return client.post(reverse("accounts:logout"), {"next": target})


VIEWS = {
    "signup": (_signup, reverse("accounts:profile")),
    "address add": (_address_add, reverse("accounts:profile")),
    "address edit": (_address_edit, reverse("accounts:profile")),
    "login": (_login, reverse("accounts:profile")),
    "admin login": (_admin_login, reverse("accounts:profile")),  # LOGIN_REDIRECT_URL
    "logout": (_logout, "/"),
}


@pytest.mark.parametrize("target", OFF_SITE)
@pytest.mark.parametrize("view", VIEWS)
def test_an_off_site_next_falls_back_to_a_page_of_ours(client, view: str, target: str) -> None:
    submit, fallback = VIEWS[view]
    response = submit(client, target)
    assert response.status_code == 302
    assert response["Location"] == fallback


@pytest.mark.parametrize("view", VIEWS)
def test_a_local_next_is_followed(client, view: str) -> None:
    submit, _fallback = VIEWS[view]
    response = submit(client, LOCAL)
    assert response.status_code == 302
    assert response["Location"] == LOCAL


def test_an_https_page_does_not_follow_a_next_to_plain_http(client) -> None:
    form = {"email": "ming@example.com", "password1": PASSWORD, "password2": PASSWORD}
    url = _with_next(reverse("accounts:signup"), "http://testserver/cart/")
    response = client.post(url, form, secure=True)
    assert response["Location"] == reverse("accounts:profile")
