"""Every DomainError a service raises is mapped, once, to documented problem details."""

from decimal import Decimal

import pytest
from django.test import Client
from django.utils.module_loading import autodiscover_modules

from shop.api.problems import DOMAIN_TYPES, PROBLEMS
from shop.core.errors import DomainError, domain_error_classes
from shop.partners import services as partners
from shop.partners.balance import InsufficientBalance
from tests.partners import api_for

from .conftest import assert_problem, body

# Every app's services (and what they import) define the domain errors.
autodiscover_modules("services")
ERRORS = domain_error_classes()


def refusal(cls: type[DomainError]) -> DomainError:
    if cls is InsufficientBalance:
        return cls(available=Decimal("1.00"), needed=Decimal("2.50"))
    return cls("Refused by the test.")


def test_the_services_define_domain_errors() -> None:
    assert {"gift-refused", "order-refused", "insufficient-balance"} <= {c.code for c in ERRORS}


def test_every_domain_error_has_its_own_code() -> None:
    unnamed = [cls.__qualname__ for cls in ERRORS if not cls.__dict__.get("code")]
    assert not unnamed, f"give these a `code` of their own: {unnamed}"
    codes = [cls.code for cls in ERRORS]
    assert len(codes) == len(set(codes)), codes


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.code)
def test_every_domain_error_has_a_problem_type_of_its_status(cls) -> None:
    slug = DOMAIN_TYPES.get(cls.status)
    assert slug is not None, f"{cls.__qualname__}: no problem type for status {cls.status}"
    assert PROBLEMS[slug][0] == cls.status
    assert cls.__doc__, f"{cls.__qualname__}: its docstring documents the code"


@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.code)
def test_each_code_is_described_at_its_type_uri(client: Client, cls) -> None:
    described = body(client.get(f"/api/problems/{DOMAIN_TYPES[cls.status]}/"))
    assert described["codes"][cls.code]


@pytest.mark.django_db
@pytest.mark.parametrize("cls", ERRORS, ids=lambda cls: cls.code)
def test_an_api_view_raising_a_domain_error_answers_its_problem_not_a_500(
    client: Client, monkeypatch, cls
) -> None:
    error = refusal(cls)

    def refuse(**kwargs: object) -> None:
        raise error

    monkeypatch.setattr(partners, "webhook_endpoint_create", refuse)
    _, api = api_for(client)
    response = api.post(
        "/api/v1/webhook-endpoints/",
        {"url": "https://hooks.example.com/x", "events": ["gift.cancelled"]},
    )

    problem = assert_problem(response, cls.status, DOMAIN_TYPES[cls.status])
    assert problem["code"] == cls.code
    if cls.status == 422:
        assert problem["errors"] == {cls.field or "non_field_errors": [str(error)]}
    else:
        assert problem["detail"] == str(error)
