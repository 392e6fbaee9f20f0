"""records(day): the day's trade bill, fetched through bill.downloadurl.query and read from
the zip of GBK CSVs Alipay serves, as ProviderRecords with exact Decimal amounts."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from shop.payments.gateway import GatewayError, ProviderRecord
from shop.payments.gateways.alipay import BEIJING

from .flows import pay, pending_payment, refund

pytestmark = pytest.mark.django_db


def _today():
    return datetime.now(BEIJING).date()


@pytest.fixture
def day_of_business(alipay_gateway):
    """Two payments (¥88.80, ¥12.34) and a ¥20.00 partial refund of the first."""
    gateway, control = alipay_gateway
    first, second = pending_payment("88.80"), pending_payment("12.34")
    for payment in (first, second):
        pay(gateway, control, payment)
    refund(gateway, first, "rr-1", "20.00")
    trades = control.trades()
    return [
        ProviderRecord("payment", first.reference, trades[first.reference]["trade_no"], Decimal("88.80"), "succeeded"),
        ProviderRecord("payment", second.reference, trades[second.reference]["trade_no"], Decimal("12.34"), "succeeded"),
        ProviderRecord("refund", "rr-1", "rr-1", Decimal("20.00"), "succeeded"),
    ]  # fmt: skip


def test_the_bill_lists_the_days_payments_and_refunds(alipay_gateway, day_of_business):
    gateway, _ = alipay_gateway

    assert sorted(gateway.records(_today()), key=repr) == sorted(day_of_business, key=repr)


def test_a_bill_that_disagrees_shows_the_difference(alipay_gateway, day_of_business):
    gateway, control = alipay_gateway
    control.mode("bill_mismatch")

    records = list(gateway.records(_today()))

    different = [r for r in records if r not in day_of_business]
    assert len(different) == 1
    assert different[0].amount - next(
        r.amount for r in day_of_business if r.reference == different[0].reference
    ) == Decimal("0.01")


def test_a_day_without_business_has_an_empty_bill(alipay_gateway):
    gateway, _ = alipay_gateway

    assert list(gateway.records(_today() - timedelta(days=3))) == []


def test_a_bill_not_yet_made_is_an_error(alipay_gateway):
    gateway, _ = alipay_gateway

    with pytest.raises(GatewayError, match=r"isp\.bill_not_exist"):
        gateway.records(_today() + timedelta(days=1))
