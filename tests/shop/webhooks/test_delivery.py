"""Webhook delivery: signed, at least once, with backoff, for up to 24 hours, to a receiver
on loopback. The worker tests use the suite's real Celery worker (`celery_worker`), which
makes the first attempt when the change commits; beat is not running, so the test calls the
sweep (`webhooks_deliver_due`) where beat would, and the worker makes the retries.
"""

import dataclasses
import itertools
import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from shop.core import signing
from shop.core.models import JobItem
from shop.partners.models import WebhookDelivery, WebhookEvent
from shop.webhooks import delivery, outbox, tasks
from tests.conftest import wait_until
from tests.factories import SkuFactory, UserFactory
from tests.partners import Api, api_for

from .conftest import (
    Receiver,
    assert_event_body,
    dead_broker_url,
    gift_payload,
    publishing_to,
    signature_valid,
)

S = WebhookDelivery.Status


def hook(api: Api, url: str, types: tuple[str, ...] = ("gift.cancelled",)) -> dict:
    response = api.post("/api/v1/webhook-endpoints/", {"url": url, "events": list(types)})
    assert response.status_code == 201, response.content
    created = json.loads(response.content)
    assert created["secret"].startswith("whsec_")
    return created


def cancelled_gift(api: Api) -> dict:
    """A gift sent and cancelled through the API: one gift.cancelled event."""
    sent = api.post("/api/v1/gifts/", gift_payload(SkuFactory(price="10.00", stock=5)))
    assert sent.status_code == 201, sent.content
    gift_id = json.loads(sent.content)["id"]
    cancelled = api.post(f"/api/v1/gifts/{gift_id}/cancel/")
    assert cancelled.status_code == 200, cancelled.content
    return json.loads(cancelled.content)


def the_delivery() -> WebhookDelivery:
    return WebhookDelivery.objects.select_related("event").get()


def settled() -> bool:
    return WebhookDelivery.objects.filter(status=S.SUCCEEDED).exists()


def sweep_until(condition: object, timeout: float) -> bool:
    """Run the beat sweep every 0.2 s (as beat would, only faster) until `condition`."""

    def tick() -> bool:
        tasks.webhooks_deliver_due()
        return condition()  # type: ignore[operator]

    return wait_until(tick, timeout=timeout, interval=0.2)


# --- With the real worker ------------------------------------------------------------------


@pytest.mark.usefixtures("worker_env")
def test_the_worker_delivers_a_signed_event_with_id_type_created_and_data(
    celery_worker, receiver: Receiver
) -> None:
    _, api = api_for(Client(), balance="100.00")
    endpoint = hook(api, receiver.url)

    gift = cancelled_gift(api)

    assert wait_until(settled, timeout=20)
    [received] = receiver.received()
    event = received.event
    assert_event_body(event)
    stored = WebhookEvent.objects.get(type="gift.cancelled")
    assert (event["id"], event["type"]) == (stored.public_id, "gift.cancelled")
    assert event["data"] == gift  # what GET returns, as it was when the event happened
    assert received.headers["content-type"] == "application/json"
    assert signature_valid(received, endpoint["secret"])
    assert signing.verify(received.body, received.headers["x-signature"], endpoint["secret"])
    # The check is real: another secret, or one changed byte, fails it.
    assert not signature_valid(received, "whsec_someone-else")
    tampered = dataclasses.replace(received, body=received.body.replace(b"cancelled", b"accepted"))
    assert not signature_valid(tampered, endpoint["secret"])
    assert not signature_valid(received, endpoint["secret"], now=time.time() + 600)  # replayed

    row = the_delivery()
    assert (row.status, row.attempts, row.response_status) == (S.SUCCEEDED, 1, 200)
    assert row.response_body == "answer 200 #1"
    assert row.delivered_at is not None
    listed = json.loads(api.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries/").content)
    assert [
        (d["event"], d["status"], d["attempts"], d["response_status"]) for d in listed["results"]
    ] == [(stored.public_id, "succeeded", 1, 200)]


@pytest.mark.usefixtures("worker_env")
def test_a_receiver_answering_500_three_times_gets_the_event_on_the_4th_attempt(
    celery_worker, receiver: Receiver
) -> None:
    receiver.statuses = [500, 500, 500]
    _, api = api_for(Client(), balance="100.00")
    endpoint = hook(api, receiver.url)

    cancelled_gift(api)

    assert sweep_until(settled, timeout=40), [r.event["id"] for r in receiver.received()]
    time.sleep(0.5)  # nothing more arrives after the 2xx
    received = receiver.received()
    assert len(received) == 4
    assert len({r.event["id"] for r in received}) == 1  # the same event id every time
    assert len({r.body for r in received}) == 1  # and the very same body
    assert all(signature_valid(r, endpoint["secret"]) for r in received)
    # Backoff with WEBHOOK_RETRY_BASE_SECONDS=1: at least 1, 2 and 4 s between attempts.
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(received)]
    assert [g >= want - 0.05 for g, want in zip(gaps, [1, 2, 4], strict=True)] == [True] * 3, gaps
    row = the_delivery()
    assert (row.status, row.attempts) == (S.SUCCEEDED, 4)
    assert (row.response_status, row.response_body) == (200, "answer 200 #4")
    assert tasks.webhooks_deliver_due() == 0


@pytest.mark.usefixtures("worker_env")
def test_the_sweep_sends_a_delivery_whose_message_was_lost(
    celery_worker, receiver: Receiver, monkeypatch
) -> None:
    _, api = api_for(Client(), balance="100.00")
    hook(api, receiver.url)
    monkeypatch.setattr(outbox, "publish", lambda task, *args: False)  # the message is lost
    cancelled_gift(api)
    time.sleep(1)
    assert receiver.count() == 0
    assert the_delivery().status == S.PENDING

    assert tasks.webhooks_deliver_due() == 1

    assert wait_until(settled, timeout=20)
    assert tasks.webhooks_deliver_due() == 0
    time.sleep(0.5)
    assert receiver.count() == 1
    assert the_delivery().attempts == 1


@pytest.mark.usefixtures("worker_env")
def test_a_change_made_while_the_broker_is_down_is_delivered_once_when_it_is_back(
    celery_worker, receiver: Receiver
) -> None:
    _, api = api_for(Client(), balance="100.00")
    endpoint = hook(api, receiver.url)

    with publishing_to(dead_broker_url()):
        started = time.monotonic()
        cancelled_gift(api)  # the change commits; its publish is refused
        assert time.monotonic() - started < 5
        delivery = the_delivery()
        assert (delivery.status, delivery.attempts) == (S.PENDING, 0)
        assert tasks.webhooks_deliver_due() == 1  # beat's tick cannot publish either
        time.sleep(1)
        assert receiver.count() == 0
        assert the_delivery().attempts == 0

    # The broker is back: beat's next tick queues it, the worker sends it, once.
    assert tasks.webhooks_deliver_due() == 1
    assert wait_until(settled, timeout=20)
    assert tasks.webhooks_deliver_due() == 0
    time.sleep(0.5)
    [received] = receiver.received()
    assert received.event["id"] == WebhookEvent.objects.get(type="gift.cancelled").public_id
    assert signature_valid(received, endpoint["secret"])
    assert the_delivery().attempts == 1


# --- One attempt at a time, made here (no broker) -----------------------------------------


@pytest.fixture
def pending(db: None, receiver: Receiver, no_publish, insecure_webhooks) -> WebhookDelivery:
    """A gift.cancelled delivery to the receiver, not yet attempted."""
    _, api = api_for(Client(), balance="100.00")
    hook(api, receiver.url)
    cancelled_gift(api)
    return the_delivery()


def _due_now(delivery_row: WebhookDelivery) -> None:
    WebhookDelivery.objects.filter(pk=delivery_row.pk).update(next_attempt_at=timezone.now())


def _sent_with_publish_answering(monkeypatch, capture, answer: bool) -> WebhookDelivery:
    """A delivery written, its change committed, its publish answering `answer`."""
    monkeypatch.setattr("shop.webhooks.outbox.publish", lambda task, *args: answer)
    _, api = api_for(Client(), balance="100.00")
    hook(api, "http://127.0.0.1:9/hooks")
    with capture(execute=True):
        cancelled_gift(api)
    return the_delivery()


def test_the_sweep_leaves_a_delivery_whose_message_is_on_the_broker_to_its_worker(
    db: None, monkeypatch, insecure_webhooks, django_capture_on_commit_callbacks
) -> None:
    """A backlog is not published again on every sweep, however long the queue."""
    sent = _sent_with_publish_answering(monkeypatch, django_capture_on_commit_callbacks, True)
    assert sent.queued_until is not None
    assert delivery.due_delivery_ids() == []


def test_the_sweep_publishes_a_delivery_whose_publish_failed(
    db: None, monkeypatch, insecure_webhooks, django_capture_on_commit_callbacks
) -> None:
    sent = _sent_with_publish_answering(monkeypatch, django_capture_on_commit_callbacks, False)
    assert delivery.due_delivery_ids() == [sent.pk]


def test_the_sweep_publishes_a_queued_delivery_again_once_its_lease_ran_out(
    db: None, monkeypatch, insecure_webhooks, django_capture_on_commit_callbacks
) -> None:
    """A message lost on the broker after its confirm is sent by a later sweep."""
    sent = _sent_with_publish_answering(monkeypatch, django_capture_on_commit_callbacks, True)
    WebhookDelivery.objects.filter(pk=sent.pk).update(
        queued_until=timezone.now() - timedelta(seconds=1)
    )
    assert delivery.due_delivery_ids() == [sent.pk]


def test_a_failed_attempt_is_swept_when_its_retry_is_due(
    pending: WebhookDelivery, receiver: Receiver
) -> None:
    WebhookDelivery.objects.filter(pk=pending.pk).update(
        queued_until=timezone.now() + timedelta(hours=1)
    )
    receiver.statuses = [500]
    assert delivery.deliver(pending.pk) == S.PENDING
    _due_now(pending)
    assert delivery.due_delivery_ids() == [pending.pk]


def test_the_wait_between_attempts_doubles_from_the_base_up_to_an_hour(
    pending: WebhookDelivery, receiver: Receiver, settings
) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    receiver.default_status = 503
    waits = []
    for _ in range(9):
        before = timezone.now()
        assert delivery.deliver(pending.pk) == S.PENDING
        row = the_delivery()
        waits.append(int((row.next_attempt_at - before).total_seconds()))
        _due_now(row)

    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert [delivery.backoff_seconds(n) for n in (1, 2, 3)] == [30, 60, 120]
    row = the_delivery()
    assert (row.attempts, row.response_status, row.status) == (9, 503, S.PENDING)
    assert row.response_body == "answer 503 #9"
    assert receiver.count() == 9


def test_an_attempt_not_yet_due_is_not_made(pending: WebhookDelivery, receiver: Receiver) -> None:
    receiver.default_status = 500
    assert delivery.deliver(pending.pk) == S.PENDING
    assert delivery.deliver(pending.pk) is None  # its backoff has not passed
    assert delivery.due_delivery_ids() == []
    assert receiver.count() == 1


def test_a_delivery_failing_for_24_hours_is_given_up(
    pending: WebhookDelivery, receiver: Receiver
) -> None:
    receiver.default_status = 500
    event = pending.event
    WebhookEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - timedelta(hours=23, minutes=59)
    )
    assert delivery.deliver(pending.pk) == S.PENDING  # still within the 24 hours
    _due_now(pending)
    WebhookEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - timedelta(hours=24, seconds=1)
    )

    assert delivery.deliver(pending.pk) == S.FAILED

    row = the_delivery()
    assert (row.status, row.attempts, row.response_status) == (S.FAILED, 2, 500)
    assert row.delivered_at is None
    assert delivery.due_delivery_ids() == []
    assert delivery.deliver(pending.pk) is None
    assert receiver.count() == 2


def test_a_redirect_is_not_followed(pending: WebhookDelivery, receiver: Receiver) -> None:
    receiver.redirect_to = receiver.url.replace("/hooks", "/redirected")

    assert delivery.deliver(pending.pk) == S.PENDING

    assert [r.path for r in receiver.received()] == ["/hooks"]
    row = the_delivery()
    assert (row.status, row.response_status) == (S.PENDING, 302)


def test_a_success_is_any_2xx(pending: WebhookDelivery, receiver: Receiver) -> None:
    receiver.default_status = 204
    assert delivery.deliver(pending.pk) == S.SUCCEEDED
    assert the_delivery().response_status == 204


def test_an_unreachable_receiver_is_retried_with_the_error_kept(
    pending: WebhookDelivery, receiver: Receiver
) -> None:
    receiver.close()  # nothing listens on its port any more
    assert delivery.deliver(pending.pk) == S.PENDING
    row = the_delivery()
    assert (row.status, row.response_status) == (S.PENDING, None)
    assert "refused" in row.error.lower()


def test_a_delivery_to_an_endpoint_deleted_meanwhile_is_not_sent(
    pending: WebhookDelivery, receiver: Receiver
) -> None:
    pending.endpoint.__class__.objects.filter(pk=pending.endpoint_id).update(is_active=False)

    assert delivery.deliver(pending.pk) == S.FAILED
    assert receiver.count() == 0


def test_the_url_is_checked_again_before_each_attempt(
    pending: WebhookDelivery, receiver: Receiver, settings
) -> None:
    settings.WEBHOOK_ALLOW_INSECURE = False  # a loopback URL is no longer acceptable

    assert delivery.deliver(pending.pk) == S.PENDING

    assert receiver.count() == 0
    assert "https" in the_delivery().error


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/in",  # not https
        "https://127.0.0.1/in",  # loopback
        "https://localhost/in",
        "https://10.1.2.3/in",  # private
        "https://169.254.169.254/latest/meta-data/",  # link-local (cloud metadata)
        "ftp://hooks.example.com/in",
    ],
)
def test_an_endpoint_must_be_public_https_by_default(db: None, settings, url: str) -> None:
    settings.WEBHOOK_ALLOW_INSECURE = False
    _, api = api_for(Client())

    response = api.post("/api/v1/webhook-endpoints/", {"url": url, "events": ["order.paid"]})

    assert response.status_code == 422, response.content
    assert "url" in json.loads(response.content)["errors"]


def test_the_insecure_setting_allows_a_loopback_http_endpoint(
    db: None, settings, receiver: Receiver
) -> None:
    settings.WEBHOOK_ALLOW_INSECURE = True
    _, api = api_for(Client())
    assert hook(api, receiver.url)["url"] == receiver.url


def test_deliveries_and_their_responses_are_shown_in_the_admin(
    pending: WebhookDelivery, receiver: Receiver, client: Client
) -> None:
    receiver.default_status = 500
    delivery.deliver(pending.pk)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    changelist = client.get("/admin/partners/webhookdelivery/")
    detail = client.get(f"/admin/partners/webhookdelivery/{pending.pk}/change/")

    assert changelist.status_code == detail.status_code == 200
    assert pending.event.public_id in changelist.content.decode()
    page = detail.content.decode()
    assert "answer 500 #1" in page
    assert "500" in page


def test_a_delivery_claimed_by_a_worker_that_died_is_sent_once_its_lease_runs_out(
    pending: WebhookDelivery, receiver: Receiver
) -> None:
    assert delivery._claim(pending.pk)  # a worker claimed it, then was killed before sending
    assert delivery.deliver(pending.pk) is None
    assert delivery.due_delivery_ids() == []

    WebhookDelivery.objects.filter(pk=pending.pk).update(
        locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert delivery.due_delivery_ids() == [pending.pk]
    assert delivery.deliver(pending.pk) == S.SUCCEEDED

    assert receiver.count() == 1
    assert the_delivery().attempts == 2  # the lost attempt counts


def test_concurrent_attempts_at_one_delivery_send_it_once(
    transactional_db: None, receiver: Receiver, no_publish, insecure_webhooks
) -> None:
    _, api = api_for(Client(), balance="100.00")
    hook(api, receiver.url)
    cancelled_gift(api)
    pk = the_delivery().pk
    barrier = threading.Barrier(6)
    outcomes = []

    def attempt() -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(delivery.deliver(pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes, key=str) == [None] * 5 + [S.SUCCEEDED]
    assert receiver.count() == 1
    assert the_delivery().attempts == 1


@pytest.mark.usefixtures("worker_env")
def test_an_event_survives_a_stopped_broker_and_a_receiver_answering_500_three_times(
    celery_worker, receiver: Receiver
) -> None:
    receiver.statuses = [500, 500, 500]
    _, api = api_for(Client(), balance="100.00")
    endpoint = hook(api, receiver.url)
    with publishing_to(dead_broker_url()):
        cancelled_gift(api)
        assert tasks.webhooks_deliver_due() == 1  # cannot be queued
    assert receiver.count() == 0

    assert sweep_until(settled, timeout=40)

    time.sleep(0.5)
    received = receiver.received()
    assert len(received) == 4
    assert {r.event["id"] for r in received} == {
        WebhookEvent.objects.get(type="gift.cancelled").public_id
    }
    assert all(signature_valid(r, endpoint["secret"]) for r in received)
    assert (the_delivery().status, the_delivery().attempts) == (S.SUCCEEDED, 4)


def test_a_delivery_whose_body_cannot_be_built_is_set_aside_and_left_out_of_the_sweep(
    pending: WebhookDelivery, receiver: Receiver, monkeypatch
) -> None:
    def broken(delivery_row: WebhookDelivery) -> bytes:
        raise ValueError("payload builder failed")

    monkeypatch.setattr(delivery, "body_for", broken)

    tasks.webhook_deliver_task.run(pending.pk)

    item = JobItem.objects.get()
    assert (item.job, item.item_id) == ("partners.webhook", pending.pk)
    assert "payload builder failed" in item.error
    WebhookDelivery.objects.filter(pk=pending.pk).update(locked_until=None)
    assert pending.pk not in delivery.due_delivery_ids()
    assert receiver.count() == 0
