"""The payload registry: every event type has the API's builder from start-up, and a
report the registry cannot place fails loudly instead of dropping the event."""

import re

import pytest

from shop.api import webhook_payloads
from shop.webhooks import events


def test_every_event_type_has_a_builder_from_start_up() -> None:
    assert set(events._builders) == set(events.EVENT_TYPES)


def test_a_report_with_no_builder_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(events._builders, events.ORDER_PAID)
    with pytest.raises(
        LookupError, match=re.escape("No webhook builder is registered for 'order.paid'")
    ):
        events.report(events.ORDER_PAID, [object()])


def test_an_unknown_event_type_cannot_be_registered() -> None:
    with pytest.raises(ValueError, match=re.escape("Unknown webhook event type 'order.lost'")):
        events.register(["order.lost"], webhook_payloads.order_items)


def test_a_second_builder_for_a_type_is_refused() -> None:
    with pytest.raises(ValueError, match=re.escape("'gift.accepted' already has a builder")):
        events.register([events.GIFT_ACCEPTED], webhook_payloads.order_items)


def test_registering_the_same_builder_again_changes_nothing() -> None:
    webhook_payloads.register()
    assert events._builders[events.GIFT_ACCEPTED] is webhook_payloads.gift_items
