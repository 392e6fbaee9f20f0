import pytest
from django.test import RequestFactory

from shop.core.client import client_address

BALANCER = "10.0.0.2"


def _request(peer: str, forwarded_for: str | None = None) -> object:
    headers = {} if forwarded_for is None else {"HTTP_X_FORWARDED_FOR": forwarded_for}
    return RequestFactory().get("/", REMOTE_ADDR=peer, **headers)


def test_without_trusted_proxies_the_socket_address_is_the_client(settings) -> None:
    settings.TRUSTED_PROXIES = []
    assert client_address(_request(BALANCER, "203.0.113.5")) == BALANCER


def test_behind_a_trusted_proxy_the_address_it_saw_is_the_client(settings) -> None:
    settings.TRUSTED_PROXIES = [BALANCER]
    assert client_address(_request(BALANCER, "203.0.113.5")) == "203.0.113.5"


def test_what_the_client_wrote_before_the_proxys_entry_is_ignored(settings) -> None:
    settings.TRUSTED_PROXIES = [BALANCER]
    assert client_address(_request(BALANCER, "10.0.0.2, 6.6.6.6, 203.0.113.5")) == "203.0.113.5"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(settings) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.168.1.1"]
    forwarded = "6.6.6.6, 203.0.113.5, 10.9.8.7, 192.168.1.1"
    assert client_address(_request(BALANCER, forwarded)) == "203.0.113.5"


def test_a_client_that_is_not_a_trusted_proxy_cannot_forward_for_anyone(settings) -> None:
    settings.TRUSTED_PROXIES = [BALANCER]
    assert client_address(_request("198.51.100.7", "203.0.113.5")) == "198.51.100.7"


@pytest.mark.parametrize(
    ("entry", "client"),
    [
        ("203.0.113.5:52311", "203.0.113.5"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:DB8:0::1", "2001:db8::1"),
        ("::ffff:203.0.113.5", "203.0.113.5"),
    ],
)
def test_forwarded_entries_are_read_with_ports_and_in_canonical_form(
    settings, entry: str, client: str
) -> None:
    settings.TRUSTED_PROXIES = [BALANCER]
    assert client_address(_request(BALANCER, entry)) == client


def test_a_garbled_forwarded_entry_leaves_the_proxy_as_the_client(settings) -> None:
    settings.TRUSTED_PROXIES = [BALANCER]
    assert client_address(_request(BALANCER, "203.0.113.5, not-an-address")) == BALANCER


def test_a_trusted_proxy_that_forwards_nothing_is_the_client(settings) -> None:
    settings.TRUSTED_PROXIES = [BALANCER]
    assert client_address(_request(BALANCER)) == BALANCER


def test_a_request_without_a_socket_address_is_unknown(settings) -> None:
    assert client_address(_request("")) == "unknown"


# --- X-Forwarded-Proto ---------------------------------------------------------------------


@pytest.fixture
def https_only(settings) -> None:
    settings.SECURE_SSL_REDIRECT = True


@pytest.mark.django_db
def test_a_client_cannot_claim_https_with_x_forwarded_proto(https_only, settings, client) -> None:
    settings.TRUSTED_PROXIES = [BALANCER]
    response = client.get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


@pytest.mark.django_db
def test_without_trusted_proxies_x_forwarded_proto_is_ignored(https_only, settings, client) -> None:
    settings.TRUSTED_PROXIES = []
    response = client.get("/", REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301


@pytest.mark.django_db
def test_a_trusted_proxy_tells_that_the_request_came_over_https(
    https_only, settings, client
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    response = client.get("/", REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
