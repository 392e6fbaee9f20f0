"""Fixtures for the merchant tests: two shops, A and B, each with everything staff can reach."""

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.merchants.world import Shop, build_shop


@pytest.fixture(autouse=True)
def _fast_passwords(settings: object) -> None:
    """Shops create several accounts each; hashing their passwords slowly adds nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture
def client() -> Client:
    """The test client, speaking English so messages can be asserted word for word."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def operator(db: None) -> object:
    return UserFactory(email="operator@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def shop_a(client: Client) -> Shop:
    return build_shop(client, "A")


@pytest.fixture
def shop_b(client: Client) -> Shop:
    return build_shop(client, "B")
