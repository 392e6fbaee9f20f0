"""Writes for partners: keys, balance top-ups, gifts paid from the balance, webhooks."""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from gifting import services as gifting
from gifting.models import Gift
from merchants.models import Merchant
from shop.catalogue.models import Sku
from shop.core import jobs
from shop.core.errors import DomainError
from shop.payments import services as payments
from shop.webhooks import outbound
from shop.webhooks.events import EVENT_TYPES
from shop.webhooks.outbound import WebhookUrlError as WebhookUrlError  # raised by webhook_url_check

from . import gateway
from .balance import InvalidAmount, Movement, balance_move
from .models import ApiKey, BalanceEntry, IdempotencyRecord, Partner, WebhookEndpoint
from .selectors import key_hash

KEY_PREFIX = "gsk_"


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw: str  # shown once, never stored


def partner_get_or_create(*, name: str) -> Partner:
    return Partner.objects.get_or_create(name=name.strip())[0]


def api_key_issue(*, partner: Partner, label: str = "") -> IssuedKey:
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(
        partner=partner, label=label[:100], prefix=raw[:12], key_hash=key_hash(raw)
    )
    return IssuedKey(api_key, raw)


def api_key_revoke(*, api_key: ApiKey) -> None:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def balance_top_up(
    *, partner: Partner, amount: Decimal, reference: str, note: str = ""
) -> Movement:
    """Credit money the partner paid us (bank transfer etc.); `reference` makes it once."""
    if amount <= 0:
        raise InvalidAmount("A top-up must be more than zero.")
    return balance_move(
        partner_id=partner.pk,
        amount=amount,
        kind=BalanceEntry.Kind.TOP_UP,
        idempotency_key=f"top-up:{partner.pk}:{reference}",
        reference=reference,
        note=note,
    )


def merchants_grant(*, partner: Partner, merchants: list[Merchant]) -> None:
    partner.merchants.add(*merchants)


def partner_gift_send(
    *,
    partner: Partner,
    sku_id: int,
    quantity: int,
    message: str,
    sender_name: str,
    allow_variant_choice: bool,
    sku: Sku | None = None,
) -> Gift:
    """A partner's gift: created live, charged to its balance, in one transaction.

    Raises `InsufficientBalance` (nothing is kept) or `GiftError` as the web flow does.
    The charge and the payment share the payment's reference, so the ledger reconciles.
    `sku`: the SKU already read in this request (see `gift_create`). Statements: the
    gift's (stock, payment, gift, events), the balance's two and the payment's UPDATE;
    the gift returned is as the database now holds it, so nothing is read back.
    """
    with transaction.atomic():
        gift = gifting.gift_create(
            sender=None,
            partner=partner,
            sku_id=sku_id,
            sku=sku,
            quantity=quantity,
            message=message,
            sender_name=sender_name,
            allow_variant_choice=allow_variant_choice,
            language=settings.LANGUAGE_CODE,
            gateway=gateway.NAME,
            prepaid=True,
        )
        charge = balance_move(
            partner_id=partner.pk,
            amount=-gift.amount,
            kind=BalanceEntry.Kind.GIFT_CHARGE,
            idempotency_key=gateway.charge_key(gift.payment.reference),
            reference=gift.payment.reference,
            note=f"gift {gift.pk}",
        )
        payments.payment_mark_succeeded(
            payment=gift.payment, provider_reference=f"B{charge.entry.pk}"
        )
    return gift


class UnknownEventType(DomainError, ValueError):
    """A webhook subscription to no event, or to events that do not exist."""

    code = "unknown-event-type"
    status = 422
    field = "events"


def webhook_url_check(url: str) -> None:
    """Public https only (no loopback, private or link-local hosts), unless
    WEBHOOK_ALLOW_INSECURE is on for development. Each delivery checks again, on the
    addresses it then connects to (`outbound.resolve`), since a name can later resolve
    elsewhere."""
    if settings.WEBHOOK_ALLOW_INSECURE:
        outbound.url_parts(url, insecure=True)
    else:
        outbound.resolve(url, insecure=False)


def webhook_endpoint_create(*, partner: Partner, url: str, events: list[str]) -> WebhookEndpoint:
    webhook_url_check(url)
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown or not events:
        raise UnknownEventType(
            f"Unknown event types: {', '.join(unknown)}" if unknown else "No events."
        )
    return WebhookEndpoint.objects.create(
        partner=partner,
        url=url,
        events=sorted(set(events)),
        secret=f"whsec_{secrets.token_urlsafe(32)}",
    )


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Stops deliveries at once; kept (inactive) so past deliveries stay auditable."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)


PRUNE_JOB = jobs.define("partners.prune_keys", gettext_noop("Forget old idempotency keys"))


def idempotency_records_prune() -> int:
    """Idempotency keys are honoured for IDEMPOTENCY_KEY_TTL_SECONDS (24 h by default)."""
    cutoff = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS)
    return IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()[0]
