"""Writes for personal data: the retention purge and the rights of the people we hold data
about (download, account deletion, a recipient's early erasure).

"Purged" means masked in place (`张*`, `139****5678`, street `***`, no district or
postcode): the transaction record stays for the E-commerce Law's retention (amounts,
product, dates, province and city), the person is no longer in it. Every erasure is a
`RightsRequest` or counted in a `PurgeRun`, never a copy of what was erased.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gifting import services as gifting
from gifting.models import Gift, GiftClaim
from merchants.models import AddressAccessLog, MerchantStaff
from shop.accounts.models import Address, User
from shop.cart.models import Cart
from shop.core import jobs
from shop.core.errors import DomainError
from shop.core.models import JobItem
from shop.core.privacy import mask_name, mask_phone
from shop.notices import services as notices
from shop.orders.models import Order, OrderEvent

from . import selectors
from .models import PurgeRun, RightsRequest

PURGED_STREET = "***"
OS = Order.Status
OPEN_ORDER = [OS.PENDING_PAYMENT, OS.PAID, OS.SHIPPED, OS.PARTIALLY_REFUNDED]
OPEN_GIFT = [Gift.Status.PENDING_PAYMENT, Gift.Status.AWAITING_RECIPIENT]

PURGE_JOB = jobs.define(
    "privacy.purge", gettext_noop("Mask delivery addresses past retention"), model="orders.order"
)
ACCESS_LOG_JOB = jobs.define("privacy.access_logs", gettext_noop("Delete old address views"))
DELETION_JOB = jobs.define(
    "privacy.deletions",
    gettext_noop("Complete account deletions that waited"),
    model="privacy.rightsrequest",
)

WAITING_NOTE = gettext_noop("Waiting for open orders or gifts to finish")
DELETED_NOTE = gettext_noop("Account anonymised; orders and gifts kept as anonymous records")
ERASED_NOTE = gettext_noop("Recipient's name, phone and street address masked")
EXPORTED_NOTE = gettext_noop("Data downloaded")


class PrivacyError(DomainError):
    """A request about personal data that cannot be done (not yours, not yet, already done)."""

    code = "privacy-refused"


# --- Masking ---------------------------------------------------------------------------


def is_purged(address: object) -> bool:
    return address.street == PURGED_STREET


def _masked(address: object) -> dict:
    return {
        "recipient_name": mask_name(address.recipient_name),
        "phone": mask_phone(address.phone),
        "district": "",
        "street": PURGED_STREET,
        "postcode": "",
    }


def _mask_order(order_id: int, claims_masked: list[int] | None = None) -> bool:
    """Mask an order's address and its gift claim's (the same parcel), once, in the
    caller's transaction. Returns whether anything was masked; masked claims' ids are added
    to `claims_masked`."""
    order = Order.objects.select_for_update().filter(pk=order_id).first()
    if order is None or is_purged(order):
        return False
    Order.objects.filter(pk=order.pk).update(**_masked(order))
    claim = GiftClaim.objects.select_for_update().filter(order_id=order.pk).first()
    if claim is not None and not is_purged(claim):
        masked = _masked(claim)
        # One unit per phone: two recipients' masks can coincide (139****5678 twice).
        if GiftClaim.objects.filter(gift_id=claim.gift_id, phone=masked["phone"]).exists():
            masked["phone"] = f"{claim.pk:*>11}"[-11:]
        GiftClaim.objects.filter(pk=claim.pk).update(**masked)
        notices.notices_erase_for(key_prefix=f"claim-{claim.pk}-")
        if claims_masked is not None:
            claims_masked.append(claim.pk)
    return True


# --- Retention --------------------------------------------------------------------------


def _cutoff(days: int, now: datetime) -> datetime:
    return now - timedelta(days=days)


def orders_past_retention(now: datetime | None = None) -> QuerySet[Order]:
    """Orders (gift orders included) delivered, or ended without delivery, longer ago than
    PRIVACY_RETENTION_DAYS, whose address is not masked yet."""
    cutoff = _cutoff(settings.PRIVACY_RETENTION_DAYS, now or timezone.now())
    last_event = (
        OrderEvent.objects.filter(order=OuterRef("pk")).order_by("-created_at").values("created_at")
    )
    return (
        Order.objects.exclude(street=PURGED_STREET)
        .annotate(ended_at=Coalesce("cancelled_at", Subquery(last_event[:1]), "created_at"))
        .filter(
            Q(delivered_at__lte=cutoff)
            | Q(
                delivered_at__isnull=True,
                status__in=selectors.ENDED_UNDELIVERED,
                ended_at__lte=cutoff,
            )
        )
    )


def orders_purge_due(*, batch: int = 500) -> tuple[int, int]:
    """Mask every order past retention, a batch at a time, each order on its own.

    Returns (orders masked, gift claims masked).
    """
    orders, claims = 0, []
    while True:
        ids = list(
            orders_past_retention()
            .exclude(pk__in=jobs.held_back(PURGE_JOB))
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        orders += jobs.run_each(PURGE_JOB, ids, lambda pk: _mask_order(pk, claims), key=int)
        if len(ids) < batch:
            return orders, len(claims)


def access_logs_delete_old(*, batch: int = 5000) -> int:
    """Address views older than ADDRESS_LOG_RETENTION_DAYS are deleted (their own retention)."""
    cutoff = _cutoff(settings.ADDRESS_LOG_RETENTION_DAYS, timezone.now())

    def delete() -> int:
        ids = AddressAccessLog.objects.filter(viewed_at__lt=cutoff).values_list("pk", flat=True)
        return AddressAccessLog.objects.filter(pk__in=list(ids[:batch])).delete()[0]

    total = 0
    while deleted := jobs.run_once(ACCESS_LOG_JOB, delete):
        total += deleted
        if deleted < batch:
            break
    return total


def purge_run() -> PurgeRun:
    """The beat job: mask what is past retention, delete old address views, complete the
    account deletions that waited; record what it did for operators.

    Idempotent: masked rows are left out of the next run, so a second run counts nothing.
    A claim's mask rolls back with its order's if a later statement fails (one transaction
    per order), so the counts are what committed.
    """
    started = timezone.now()
    orders, claims = orders_purge_due()
    logs = access_logs_delete_old()
    waiting = list(
        RightsRequest.objects.filter(
            kind=RightsRequest.Kind.ACCOUNT_DELETION, status=RightsRequest.Status.WAITING
        )
        .exclude(pk__in=jobs.held_back(DELETION_JOB))
        .values_list("pk", flat=True)
    )
    deletions = jobs.run_each(DELETION_JOB, waiting, _deletion_try, key=int)
    failed = JobItem.objects.filter(
        job__in=[PURGE_JOB, ACCESS_LOG_JOB, DELETION_JOB], last_failed_at__gte=started
    ).count()
    return PurgeRun.objects.create(
        started_at=started,
        finished_at=timezone.now(),
        orders_purged=orders,
        claims_purged=claims,
        access_logs_deleted=logs,
        deletions_completed=deletions,
        failed=failed,
    )


# --- Rights -----------------------------------------------------------------------------


def data_export(*, user: User) -> dict:
    """The shopper's data as JSON-ready data; the download itself is recorded."""
    data = selectors.shopper_data(user=user)
    RightsRequest.objects.create(
        kind=RightsRequest.Kind.EXPORT,
        status=RightsRequest.Status.DONE,
        user=user,
        outcome=EXPORTED_NOTE,
        completed_at=timezone.now(),
    )
    return data


def account_delete(*, user: User) -> RightsRequest:
    """Delete a shopper's account, without losing anyone's money.

    Their live gifts are cancelled first (the unclaimed units refunded, through the gifting
    services). What cannot be cancelled here (a payment under way, a parcel not delivered
    yet) makes the deletion wait; the purge job completes it once they have finished.
    Orders and gifts stay, anonymised, as the transaction record.
    """
    if user.is_staff or MerchantStaff.objects.filter(user=user).exists():
        raise PrivacyError(_("Staff accounts are closed by a platform operator."))
    if selectors.deletion_waiting(user=user) is not None:
        raise PrivacyError(_("You already asked to delete your account; it is waiting."))
    request = RightsRequest.objects.create(
        kind=RightsRequest.Kind.ACCOUNT_DELETION, status=RightsRequest.Status.WAITING, user=user
    )
    _deletion_try(request.pk)
    request.refresh_from_db()
    return request


def _cancel_live_gifts(user_id: int) -> None:
    for gift in Gift.objects.filter(sender_id=user_id, status=Gift.Status.AWAITING_RECIPIENT):
        try:
            gifting.gift_cancel(gift=gift)
        except gifting.GiftError:  # claimed or expired meanwhile: it is not live any more
            continue


def _deletion_try(request_id: int) -> bool:
    """Complete a waiting deletion if nothing of the account is open; True when done."""
    request = RightsRequest.objects.select_related("user").get(pk=request_id)
    if request.status != RightsRequest.Status.WAITING or request.user is None:
        return False
    _cancel_live_gifts(request.user_id)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=request.user_id)
        open_orders = Order.objects.filter(
            user=user, status__in=OPEN_ORDER, delivered_at__isnull=True
        ).count()
        open_gifts = Gift.objects.filter(sender=user, status__in=OPEN_GIFT).count()
        if open_orders or open_gifts:
            RightsRequest.objects.filter(pk=request.pk).update(
                open_orders=open_orders, open_gifts=open_gifts, outcome=WAITING_NOTE
            )
            return False
        _anonymise(user)
        RightsRequest.objects.filter(pk=request.pk).update(
            status=RightsRequest.Status.DONE,
            open_orders=0,
            open_gifts=0,
            outcome=DELETED_NOTE,
            completed_at=timezone.now(),
        )
    return True


def _anonymise(user: User) -> None:
    for order_id in Order.objects.filter(user=user).values_list("pk", flat=True):
        _mask_order(order_id)
    for order_id in GiftClaim.objects.filter(user=user).values_list("order_id", flat=True):
        _mask_order(order_id)
    GiftClaim.objects.filter(user=user).update(user=None)
    for gift in Gift.objects.filter(sender=user).only("pk", "sender_name"):
        Gift.objects.filter(pk=gift.pk).update(sender_name=mask_name(gift.sender_name), message="")
    Address.objects.filter(user=user).delete()
    Cart.objects.filter(user=user).delete()
    user.email = f"deleted-{user.pk}@deleted.invalid"
    user.name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["email", "name", "is_active", "password"])


def recipient_erase(*, claim_id: object, visitor_claims: list[GiftClaim]) -> RightsRequest:
    """A recipient erases their name, phone and street early, once the gift is done.

    Only a claim of this visitor on this link (their session or account) can be erased;
    anything else, or a second request, is refused and changes nothing.
    """
    claim = next((c for c in visitor_claims if str(c.pk) == str(claim_id)), None)
    if claim is None:
        raise PrivacyError(_("There is no gift you accepted with this link to erase."))
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=claim.order_id)
        if RightsRequest.objects.filter(claim=claim).exists() or is_purged(order):
            raise PrivacyError(_("Your details for this gift have already been erased."))
        if not selectors.parcel_done(order):
            raise PrivacyError(_("You can erase your details once the gift has been delivered."))
        _mask_order(order.pk)
        return RightsRequest.objects.create(
            kind=RightsRequest.Kind.RECIPIENT_ERASURE,
            status=RightsRequest.Status.DONE,
            claim=claim,
            outcome=ERASED_NOTE,
            completed_at=timezone.now(),
        )
