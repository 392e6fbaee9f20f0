"""`manage.py issue_api_key "<partner name>" [--top-up AMOUNT] [--merchant ID ...]`."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from shop.partners.models import ApiKey, BalanceEntry, Partner
from tests.factories import MerchantFactory
from tests.partners import Api

pytestmark = pytest.mark.django_db


def issue(*args: str) -> str:
    out, err = StringIO(), StringIO()
    call_command("issue_api_key", *args, stdout=out, stderr=err)
    return out.getvalue()


def key_of(output: str) -> str:
    return output.strip().splitlines()[-1]


def test_it_creates_the_partner_and_prints_a_key_that_authenticates(client: Client) -> None:
    output = issue("Acme Gifts")
    partner = Partner.objects.get(name="Acme Gifts")
    key = key_of(output)
    assert key == key.strip() and " " not in key
    assert ApiKey.objects.filter(partner=partner).count() == 1
    response = Api(client, key).get("/api/v1/balance/")
    assert response.status_code == 200
    assert response.json()["available"] == {"value": "0.00", "currency": "CNY"}


def test_the_key_is_alone_on_the_last_line_of_stdout() -> None:
    output = issue("Acme Gifts", "--top-up", "10.00")
    last = output.rstrip("\n").split("\n")[-1]
    assert last == key_of(output)
    assert "Acme" not in last and "CNY" not in last


def test_a_second_key_for_an_existing_partner_keeps_the_partner(client: Client) -> None:
    first = key_of(issue("Acme Gifts"))
    second = key_of(issue("Acme Gifts"))
    assert first != second
    assert Partner.objects.count() == 1
    assert ApiKey.objects.count() == 2
    for key in (first, second):
        assert Api(client, key).get("/api/v1/balance/").status_code == 200


def test_top_up_credits_the_balance_once() -> None:
    issue("Acme Gifts", "--top-up", "5000.00")
    partner = Partner.objects.get()
    assert partner.balance == Decimal("5000.00")
    entries = BalanceEntry.objects.filter(partner=partner)
    assert list(entries.values_list("kind", "amount")) == [("top_up", Decimal("5000.00"))]


def test_each_run_with_top_up_credits_its_own_amount() -> None:
    issue("Acme Gifts", "--top-up", "100.00")
    issue("Acme Gifts", "--top-up", "20.50")
    assert Partner.objects.get().balance == Decimal("120.50")


def test_merchants_are_granted_by_id_and_by_public_id(client: Client) -> None:
    one, two, other = MerchantFactory(), MerchantFactory(), MerchantFactory()
    key = key_of(issue("Provider", "--merchant", str(one.pk), "--merchant", f"mer_{two.pk}"))
    partner = Partner.objects.get()
    assert set(partner.merchants.all()) == {one, two}
    assert other not in partner.merchants.all()
    assert Api(client, key).get("/api/v1/orders/").status_code == 200


def test_a_merchant_is_granted_by_slug() -> None:
    merchant = MerchantFactory(slug="tea-house")
    issue("Provider", "--merchant", "tea-house")
    assert list(Partner.objects.get().merchants.all()) == [merchant]


@pytest.mark.parametrize("amount", ["lots", "-5", "0", "1.234", "NaN", "Infinity"])
def test_a_bad_amount_is_a_command_error_and_creates_nothing(amount) -> None:
    with pytest.raises(CommandError):
        issue("Acme Gifts", "--top-up", amount)
    assert not Partner.objects.exists()
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("ref", ["999999", "mer_999999", "no-such-shop"])
def test_an_unknown_merchant_is_a_command_error_and_creates_nothing(ref) -> None:
    MerchantFactory()
    with pytest.raises(CommandError):
        issue("Acme Gifts", "--merchant", ref)
    assert not Partner.objects.exists()
    assert not ApiKey.objects.exists()


def test_a_merchant_ref_with_a_superscript_digit_is_a_command_error() -> None:
    with pytest.raises(CommandError):
        issue("Acme Gifts", "--merchant", "mer_²")
    assert not Partner.objects.exists()
