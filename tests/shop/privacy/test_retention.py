"""Retention: addresses are masked N days after delivery, or after an order ends without
one; the transaction record (amounts, product, dates, province, city) stays."""

from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.test import Client

from gifting.models import GiftClaim
from merchants.models import AddressAccessLog
from shop.core.models import JobItem
from shop.orders.models import Order
from shop.privacy import services, tasks
from shop.privacy.models import PurgeRun
from tests.factories import OrderFactory, UserFactory

from .world import ago, delivered, delivered_order, ended, gift_claims

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _ninety_days(settings) -> None:
    settings.PRIVACY_RETENTION_DAYS = 90
    settings.ADDRESS_LOG_RETENTION_DAYS = 1095


def test_a_gift_delivered_longer_ago_than_the_retention_is_masked_on_claim_and_order() -> None:
    (claim,) = gift_claims(delivered(91))
    phone = claim.phone
    services.purge_run()
    claim.refresh_from_db()
    order = Order.objects.get(pk=claim.order_id)
    for row in (claim, order):
        masked = (row.recipient_name, row.phone, row.district, row.street, row.postcode)
        assert masked == ("李**", f"{phone[:3]}****{phone[-4:]}", "", "***", "")
        assert (row.province, row.city) == ("浙江省", "杭州市")


def test_the_transaction_record_stays_whole() -> None:
    (claim,) = gift_claims(delivered(91))
    before = Order.objects.values("total", "paid_at", "shipped_at", "delivered_at", "merchant")
    before = before.get(pk=claim.order_id)
    services.purge_run()
    after = Order.objects.values("total", "paid_at", "shipped_at", "delivered_at", "merchant")
    assert after.get(pk=claim.order_id) == before
    claim.refresh_from_db()
    assert claim.gift.amount == Decimal("99.00")
    assert claim.sku_id == claim.gift.sku_id


def test_a_gift_delivered_within_the_retention_is_kept() -> None:
    (claim,) = gift_claims(delivered(89))
    services.purge_run()
    claim.refresh_from_db()
    assert claim.street == "文三路 1 号 301 室"
    assert Order.objects.get(pk=claim.order_id).street == "文三路 1 号 301 室"


def test_the_retention_is_a_setting(settings) -> None:
    settings.PRIVACY_RETENTION_DAYS = 7
    (claim,) = gift_claims(delivered(8))
    services.purge_run()
    claim.refresh_from_db()
    assert claim.street == services.PURGED_STREET


def test_a_gift_order_refunded_without_delivery_is_masked_after_the_retention() -> None:
    (claim,) = gift_claims({"status": Order.Status.REFUNDED})
    ended(claim.order, 91)
    services.purge_run()
    claim.refresh_from_db()
    assert claim.street == services.PURGED_STREET


def test_an_order_on_its_way_is_never_masked_however_old() -> None:
    order = OrderFactory(status=Order.Status.PAID)
    ended(order, 400)
    services.purge_run()
    order.refresh_from_db()
    assert order.street == "文三路 1 号"


def test_an_ordinary_orders_shipping_address_follows_the_same_rule() -> None:
    old, recent = delivered_order(120, user=UserFactory()), delivered_order(10)
    cancelled = ended(
        OrderFactory(
            status=Order.Status.CANCELLED, cancelled_at=ago(100), paid_at=None, payment=None
        ),
        100,
    )
    services.purge_run()
    for order, masked in ((old, True), (recent, False), (cancelled, True)):
        order.refresh_from_db()
        assert (order.street == services.PURGED_STREET) is masked


def test_a_second_run_changes_nothing_and_counts_nothing() -> None:
    gift_claims(delivered(91), delivered(95))
    delivered_order(100)
    first = services.purge_run()
    masked = list(GiftClaim.objects.values_list("phone", "street").order_by("pk"))
    second = services.purge_run()
    assert (first.orders_purged, first.claims_purged) == (3, 2)
    assert (second.orders_purged, second.claims_purged) == (0, 0)
    assert list(GiftClaim.objects.values_list("phone", "street").order_by("pk")) == masked


def test_recipients_whose_masked_phones_coincide_are_both_masked() -> None:
    """One unit per phone (a unique constraint): 13912345678 and 13900005678 both mask to
    139****5678, so the second takes a mask of its own and the constraint still holds."""
    gift_claims(delivered(91), delivered(91), phones=["13912345678", "13900005678"])
    run = services.purge_run()
    assert run.failed == 0 and run.claims_purged == 2
    phones = set(GiftClaim.objects.values_list("phone", flat=True))
    assert len(phones) == 2
    assert not {"13912345678", "13900005678"} & phones


def test_an_order_that_cannot_be_masked_does_not_stop_the_others(monkeypatch) -> None:
    bad, good = delivered_order(100), delivered_order(100)
    real = services._mask_order

    def mask(order_id: int, claims: list | None = None) -> bool:
        if order_id == bad.pk:
            raise RuntimeError("disk on fire")
        return real(order_id, claims)

    monkeypatch.setattr(services, "_mask_order", mask)
    run = services.purge_run()
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.street == services.PURGED_STREET
    assert bad.street == "文三路 1 号"
    assert run.failed == 1
    item = JobItem.objects.get(job=services.PURGE_JOB)
    assert item.item_id == bad.pk and "disk on fire" in item.error


def test_address_views_are_deleted_after_their_own_retention() -> None:
    order = delivered_order(10)
    viewer = UserFactory(is_staff=True)
    old = AddressAccessLog.objects.create(user=viewer, order=order)
    recent = AddressAccessLog.objects.create(user=viewer, order=order)
    AddressAccessLog.objects.filter(pk=old.pk).update(viewed_at=ago(1096))
    AddressAccessLog.objects.filter(pk=recent.pk).update(viewed_at=ago(1000))
    run = services.purge_run()
    assert list(AddressAccessLog.objects.values_list("pk", flat=True)) == [recent.pk]
    assert run.access_logs_deleted == 1


def test_beat_runs_the_purge_and_operators_see_the_last_run() -> None:
    schedule = django_settings.CELERY_BEAT_SCHEDULE["purge-personal-data"]
    assert schedule["task"] == "shop.privacy.tasks.purge_personal_data_task"
    delivered_order(100)
    assert tasks.purge_personal_data_task() == 1
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get("/admin/privacy/purgerun/")
    assert page.status_code == 200
    assert PurgeRun.objects.get().orders_purged == 1
