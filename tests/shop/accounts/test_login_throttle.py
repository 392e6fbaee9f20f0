import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def _limit(settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3


def _login(client, url: str, email: str, password: str, **headers: str):
    return client.post(url, {"username": email, "password": password}, **headers)


@pytest.mark.parametrize("url", [reverse("accounts:login"), reverse("admin:login")])
def test_after_too_many_failures_even_the_right_password_is_refused(client, url: str) -> None:
    user = UserFactory(is_staff=True)
    for _ in range(3):
        assert _login(client, url, user.email, "wrong").status_code == 200
    response = _login(client, url, user.email, PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "900"


def test_failures_for_one_account_from_many_addresses_are_counted_together(client) -> None:
    user = UserFactory()
    url = reverse("accounts:login")
    for n in range(3):
        _login(client, url, user.email, "wrong", REMOTE_ADDR=f"10.0.0.{n}")
    assert _login(client, url, user.email, PASSWORD, REMOTE_ADDR="10.0.0.9").status_code == 429


def test_successful_logins_are_not_counted(client) -> None:
    user = UserFactory()
    url = reverse("accounts:login")
    for _ in range(5):
        assert _login(client, url, user.email, PASSWORD).status_code == 302
        client.logout()
