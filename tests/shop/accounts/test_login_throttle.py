import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
BALANCER = "10.0.0.2"
LOGINS = [reverse("accounts:login"), reverse("admin:login")]


@pytest.fixture(autouse=True)
def _limit(settings) -> None:
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 5


def _login(client, url: str, email: str, password: str, **headers: str):
    return client.post(url, {"username": email, "password": password}, **headers)


def _via_balancer(address: str) -> dict:
    return {"REMOTE_ADDR": BALANCER, "HTTP_X_FORWARDED_FOR": address}


@pytest.mark.parametrize("url", LOGINS)
def test_after_too_many_failures_even_the_right_password_is_refused(client, url: str) -> None:
    user = UserFactory(is_staff=True)
    for _ in range(3):
        assert _login(client, url, user.email, "wrong").status_code == 200
    response = _login(client, url, user.email, PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "900"


@pytest.mark.parametrize("url", LOGINS)
def test_failures_for_an_account_elsewhere_do_not_lock_its_owner_out(client, url: str) -> None:
    user = UserFactory(is_staff=True)
    for n in range(10):
        _login(client, url, user.email, "wrong", REMOTE_ADDR=f"203.0.113.{n}")
    assert _login(client, url, user.email, PASSWORD, REMOTE_ADDR="198.51.100.20").status_code == 302


@pytest.mark.parametrize("url", LOGINS)
def test_behind_the_balancer_one_visitors_failures_do_not_block_another(
    settings, client, url: str
) -> None:
    settings.TRUSTED_PROXIES = [BALANCER]
    user = UserFactory(is_staff=True)
    for _ in range(10):
        _login(client, url, user.email, "wrong", **_via_balancer("203.0.113.7"))
    assert (
        _login(client, url, user.email, "wrong", **_via_balancer("203.0.113.7")).status_code == 429
    )
    response = _login(client, url, user.email, PASSWORD, **_via_balancer("198.51.100.20"))
    assert response.status_code == 302


def test_a_forged_forwarded_for_does_not_escape_the_throttle(settings, client) -> None:
    settings.TRUSTED_PROXIES = [BALANCER]
    user = UserFactory()
    url = reverse("accounts:login")
    for n in range(3):
        headers = {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": f"198.51.100.{n}"}
        _login(client, url, user.email, "wrong", **headers)
    headers = {"REMOTE_ADDR": "203.0.113.7", "HTTP_X_FORWARDED_FOR": "198.51.100.99"}
    assert _login(client, url, user.email, PASSWORD, **headers).status_code == 429


def test_one_address_trying_many_accounts_is_refused(client) -> None:
    url = reverse("accounts:login")
    for n in range(5):
        assert _login(client, url, f"guess{n}@example.com", "wrong").status_code == 200
    user = UserFactory()
    assert _login(client, url, user.email, PASSWORD).status_code == 429


def test_successful_logins_are_not_counted(client) -> None:
    user = UserFactory()
    url = reverse("accounts:login")
    for _ in range(5):
        assert _login(client, url, user.email, PASSWORD).status_code == 302
        client.logout()
