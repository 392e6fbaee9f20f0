"""The addresses an address change kept (before and after) are masked with the order."""

import pytest
from django.utils import translation

from gifting import changes
from shop.orders.models import ChangeRequest, Order
from shop.privacy import services
from tests.changes import NEW_ADDRESS, accepted_claim

from .world import delivered

pytestmark = pytest.mark.django_db


def test_a_delivered_orders_address_changes_are_masked_after_the_retention(
    client, settings
) -> None:
    settings.PRIVACY_RETENTION_DAYS = 90
    claim = accepted_claim(client)
    with translation.override("en"):
        changes.change_approve(
            request=changes.address_change_request(claim=claim, address=NEW_ADDRESS)
        )
    Order.objects.filter(pk=claim.order_id).update(**delivered(91))
    services.purge_run()
    request = ChangeRequest.objects.get()
    for address in (request.old_address, request.new_address):
        assert address["street"] == "***"
        assert address["phone"].count("*") == 4
        assert address["district"] == "" and address["postcode"] == ""
    assert request.new_address["recipient_name"] == "王**"
    assert request.new_address["city"] == NEW_ADDRESS["city"]


def test_an_order_within_the_retention_keeps_its_change_addresses(client, settings) -> None:
    settings.PRIVACY_RETENTION_DAYS = 90
    claim = accepted_claim(client)
    with translation.override("en"):
        changes.address_change_request(claim=claim, address=NEW_ADDRESS)
    Order.objects.filter(pk=claim.order_id).update(**delivered(10))
    services.purge_run()
    assert ChangeRequest.objects.get().new_address["street"] == NEW_ADDRESS["street"]
