"""The sandbox provider's side: what a real PSP does on its own servers.

It keeps its own charges and refunds, deduplicates refunds by idempotency key, and tells
the shop what happened by signed HTTP notifications to the shop's notify URL, retried
until the shop answers 2xx. Failure modes (SandboxMode) make it misbehave the way real
providers do: declines, timeouts after the work is done, duplicate and early notifications,
failed refunds.
"""

import json
import secrets
import time
import urllib.error
import urllib.request
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from shop.core import signing
from shop.core.tasks import publish

from .models import SandboxCharge, SandboxMode, SandboxNotification, SandboxRefund


class ProviderTimeout(Exception):
    """The provider did the work but the answer never arrived."""


class ProviderRefusal(Exception):
    pass


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _maybe_time_out(mode: SandboxMode) -> None:
    if mode.timeout_requests:
        raise ProviderTimeout("The sandbox did not answer in time.")


def charge_create(
    *, merchant_reference: str, amount: Decimal, description: str, return_url: str, notify_url: str
) -> SandboxCharge:
    """Open a charge; the same merchant reference returns the same charge."""
    mode = SandboxMode.current()
    charge, _ = SandboxCharge.objects.get_or_create(
        merchant_reference=merchant_reference,
        defaults={
            "id": _new_id("ch"),
            "amount": amount,
            "description": description[:200],
            "return_url": return_url,
            "notify_url": notify_url,
        },
    )
    if charge.amount != amount:
        raise ProviderRefusal("A charge with this reference exists for another amount.")
    _maybe_time_out(mode)
    return charge


def charge_complete(*, charge_id: str, approve: bool) -> SandboxCharge:
    """The shopper confirmed or declined on the hosted page."""
    mode = SandboxMode.current()
    with transaction.atomic():
        charge = SandboxCharge.objects.select_for_update().get(pk=charge_id)
        if charge.status != SandboxCharge.Status.OPEN:
            return charge
        succeeded = approve and not mode.decline_payments
        charge.status = (
            SandboxCharge.Status.SUCCEEDED if succeeded else SandboxCharge.Status.DECLINED
        )
        charge.completed_at = timezone.now()
        charge.save(update_fields=["status", "completed_at"])
        event = "payment.succeeded" if succeeded else "payment.failed"
        notification = _notification_create(
            url=charge.notify_url,
            event_type=event,
            data={
                "reference": charge.merchant_reference,
                "provider_reference": charge.id,
                "amount": str(charge.amount),
            },
        )
    if mode.notify_before_redirect:
        notification_deliver(notification_id=notification.pk)
    return charge


def charge_close(*, merchant_reference: str) -> None:
    """The merchant gave up on the charge: it can no longer be paid. A paid one is
    refused; an unknown one is left alone."""
    with transaction.atomic():
        charge = (
            SandboxCharge.objects.select_for_update()
            .filter(merchant_reference=merchant_reference)
            .first()
        )
        if charge is None:
            return
        if charge.status == SandboxCharge.Status.SUCCEEDED:
            raise ProviderRefusal("This charge is paid; refund it instead of closing it.")
        if charge.status == SandboxCharge.Status.OPEN:
            charge.status = SandboxCharge.Status.CLOSED
            charge.completed_at = timezone.now()
            charge.save(update_fields=["status", "completed_at"])


def refund_create(
    *, merchant_reference: str, idempotency_key: str, amount: Decimal, notify_url: str
) -> SandboxRefund:
    """Refund once per idempotency key, never more than what was charged."""
    answer = refund_create_many(
        requests=[(merchant_reference, idempotency_key, amount)], notify_url=notify_url
    )[0]
    if isinstance(answer, ProviderRefusal):
        raise answer
    return answer


def _notification(*, url: str, event_type: str, data: dict) -> SandboxNotification:
    """An unsaved notification: a signed JSON event the shop will receive."""
    event_id = _new_id("evt")
    body = json.dumps(
        {
            "id": event_id,
            "type": event_type,
            "created": int(timezone.now().timestamp()),
            "data": data,
        }
    )
    return SandboxNotification(id=event_id, url=url, body=body)


def _notification_create(*, url: str, event_type: str, data: dict) -> SandboxNotification:
    notification = _notification(url=url, event_type=event_type, data=data)
    notification.save(force_insert=True)
    # tasks imports this module: the task is looked up at call time (a real cycle).
    from .tasks import deliver_notification

    transaction.on_commit(lambda: publish(deliver_notification, notification.pk))
    return notification


def _refund_notification(refund: SandboxRefund, notify_url: str) -> SandboxNotification:
    failed = refund.status == SandboxRefund.Status.FAILED
    return _notification(
        url=notify_url,
        event_type="refund.failed" if failed else "refund.succeeded",
        data={
            "reference": refund.idempotency_key,
            "provider_reference": refund.id,
            "amount": str(refund.amount),
        },
    )


def refund_create_many(
    *, requests: list[tuple[str, str, Decimal]], notify_url: str
) -> list[SandboxRefund | ProviderRefusal]:
    """Several refunds (merchant reference, idempotency key, amount) in one call.

    The same rules as `refund_create`, checked for the whole batch with a fixed number of
    statements: charges locked in id order, keys deduplicated, totals never exceeded.
    """
    mode = SandboxMode.current()
    answers: list[SandboxRefund | ProviderRefusal] = []
    with transaction.atomic():
        charges = {
            c.merchant_reference: c
            for c in SandboxCharge.objects.select_for_update()
            .filter(merchant_reference__in={reference for reference, _, _ in requests})
            .order_by("pk")
        }
        existing = SandboxRefund.objects.in_bulk(
            [key for _, key, _ in requests], field_name="idempotency_key"
        )
        refunded = dict(
            SandboxRefund.objects.filter(
                charge__in=list(charges.values()), status=SandboxRefund.Status.SUCCEEDED
            )
            .values("charge_id")
            .annotate(total=Sum("amount"))
            .values_list("charge_id", "total")
        )
        created: list[SandboxRefund] = []
        for reference, key, amount in requests:
            if key in existing:
                same = existing[key].amount == amount
                answers.append(
                    existing[key]
                    if same
                    else ProviderRefusal("This idempotency key was used for another amount.")
                )
                continue
            charge = charges.get(reference)
            if charge is None or charge.status != SandboxCharge.Status.SUCCEEDED:
                answers.append(ProviderRefusal("No successful charge with this reference."))
                continue
            left = charge.amount - refunded.get(charge.pk, Decimal("0"))
            if amount > left:
                answers.append(ProviderRefusal("The refund exceeds what is left of the charge."))
                continue
            refund = SandboxRefund(
                id=_new_id("re"),
                charge=charge,
                idempotency_key=key,
                amount=amount,
                status=SandboxRefund.Status.FAILED
                if mode.fail_refunds
                else SandboxRefund.Status.SUCCEEDED,
                failure_reason="The sandbox was told to fail refunds." if mode.fail_refunds else "",
            )
            if not mode.fail_refunds:
                refunded[charge.pk] = refunded.get(charge.pk, Decimal("0")) + amount
            existing[key] = refund
            created.append(refund)
            answers.append(refund)
        SandboxRefund.objects.bulk_create(created)
        notifications = SandboxNotification.objects.bulk_create(
            [_refund_notification(refund, notify_url) for refund in created]
        )
        ids = [n.pk for n in notifications]
        # tasks imports this module: the task is looked up at call time (a real cycle).
        from .tasks import deliver_notifications

        transaction.on_commit(
            lambda: [
                publish(deliver_notifications, ids[i : i + 100]) for i in range(0, len(ids), 100)
            ]
        )
    if mode.refund_delay_ms:
        time.sleep(mode.refund_delay_ms / 1000)
    _maybe_time_out(mode)
    return answers


def notification_deliver(*, notification_id: str) -> bool:
    """POST the notification, signed, to the shop. True once the shop answered 2xx."""
    notification = SandboxNotification.objects.get(pk=notification_id)
    copies = 2 if SandboxMode.current().duplicate_notifications else 1
    ok = False
    error = ""
    for _ in range(copies):
        body = notification.body.encode()
        request = urllib.request.Request(
            notification.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Sandbox-Signature": signing.sign(body, settings.SANDBOX_SECRET),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                ok = 200 <= response.status < 300
        except (urllib.error.URLError, TimeoutError, OSError) as failure:
            ok, error = False, str(failure)[:200]
    updates: dict[str, object] = {"attempts": notification.attempts + 1, "last_error": error}
    if ok:
        updates["delivered_at"] = timezone.now()
    SandboxNotification.objects.filter(pk=notification.pk).update(**updates)
    return ok
