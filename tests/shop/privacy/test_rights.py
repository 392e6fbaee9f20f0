"""The rights of the people we hold data about: a shopper downloads their data and deletes
their account (no money lost); a recipient erases their details early through the gift
link. Bad input gets a clear answer and changes nothing."""

import json

import pytest
from django.test import Client

from gifting.models import Gift, GiftClaim
from shop.accounts.models import Address, User
from shop.orders import services as orders
from shop.orders.models import Order
from shop.payments.models import Refund
from shop.privacy import services
from shop.privacy.models import RightsRequest
from tests.factories import AddressFactory, OrderFactory, UserFactory
from tests.gifts import create_gift, link, live_gift

from .world import delivered

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
CLAIM_FORM = {
    "recipient_name": "李小红",
    "phone": "13912345678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "street": "文三路 1 号 2 单元 301",
    "postcode": "",
    "action": "accept",
}


def browser() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def shopper(**fields: object) -> tuple[User, Client]:
    user = UserFactory(**fields)
    user.set_password(PASSWORD)
    user.save()
    client = browser()
    client.force_login(user)
    return user, client


def accepted(client: Client, **gift: object) -> GiftClaim:
    """A gift accepted through its link in this browser."""
    made = live_gift(browser(), **gift)
    assert client.post(link(made), CLAIM_FORM).status_code == 302
    return GiftClaim.objects.get(gift=made)


def deliver(order: Order) -> None:
    orders.order_ship(order=order, carrier="顺丰", tracking_number="SF1")
    orders.order_mark_delivered(order=order)


def messages_of(response: object) -> list[str]:
    """The messages shown, the last one being the answer to the request followed."""
    return [str(m) for m in response.context["messages"]]


# --- Download ----------------------------------------------------------------------------


def test_the_account_page_offers_the_download_and_the_deletion() -> None:
    _user, client = shopper()
    page = client.get("/account/").content.decode()
    assert 'action="/account/my-data/"' in page
    assert 'href="/account/delete/"' in page


def test_a_shopper_downloads_account_addresses_orders_and_gifts_as_json() -> None:
    user, client = shopper(name="王小明")
    AddressFactory(user=user, street="天目山路 8 号")
    OrderFactory(user=user, street="天目山路 8 号")
    sent = live_gift(browser(), sender=user)
    Client().post(link(sent), CLAIM_FORM)
    received = accepted(client)
    response = client.post("/account/my-data/")
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["account"]["email"] == user.email
    assert [a["street"] for a in data["addresses"]] == ["天目山路 8 号"]
    assert {o["number"] for o in data["orders"]} == {
        *Order.objects.filter(user=user).values_list("number", flat=True)
    }
    assert data["gifts_sent"][0]["recipients"] == [
        {"name": "李**", "city": "杭州市", "order_status": "paid"}
    ]
    assert data["gifts_received"][0]["order"] == received.order.number
    assert [c["purpose"] for c in data["consents"]] == ["gift_claim"]
    RightsRequest.objects.get(user=user, kind=RightsRequest.Kind.EXPORT)


def test_the_sender_s_download_never_holds_a_recipient_s_phone_or_street() -> None:
    user, client = shopper()
    sent = live_gift(browser(), sender=user)
    Client().post(link(sent), CLAIM_FORM)
    body = client.post("/account/my-data/").content.decode()
    assert CLAIM_FORM["phone"] not in body
    assert CLAIM_FORM["street"] not in body


def test_the_download_is_a_post_for_a_logged_in_shopper_only() -> None:
    _user, client = shopper()
    assert client.get("/account/my-data/").status_code == 405
    assert browser().post("/account/my-data/").status_code == 302
    assert not RightsRequest.objects.exists()


# --- Account deletion ---------------------------------------------------------------------


def test_deleting_an_account_cancels_and_refunds_its_live_gifts_first() -> None:
    user, client = shopper()
    gift = live_gift(browser(), sender=user)
    response = client.post("/account/delete/", {"password": PASSWORD})
    assert response.status_code == 302
    gift.refresh_from_db()
    assert gift.status == Gift.Status.CANCELLED
    refund = Refund.objects.get(idempotency_key=f"gift-{gift.pk}-unclaimed")
    assert refund.amount == gift.amount
    request = RightsRequest.objects.get(user=user)
    assert request.status == RightsRequest.Status.DONE


def test_a_deleted_account_is_anonymised_and_its_orders_stay_as_anonymous_records() -> None:
    user, client = shopper(name="王小明")
    AddressFactory(user=user)
    order = OrderFactory(user=user, **delivered(3))
    client.post("/account/delete/", {"password": PASSWORD})
    user.refresh_from_db()
    assert (user.name, user.is_active, user.has_usable_password()) == ("", False, False)
    assert user.email == f"deleted-{user.pk}@deleted.invalid"
    assert not Address.objects.filter(user=user).exists()
    order.refresh_from_db()
    assert order.street == services.PURGED_STREET
    assert order.total == order.payment.amount and order.city == "杭州市"
    assert not browser().login(email=user.email, password=PASSWORD)


def test_a_deletion_waits_for_an_order_on_its_way_then_the_purge_completes_it() -> None:
    user, client = shopper()
    order = OrderFactory(user=user, status=Order.Status.PAID)
    response = client.post("/account/delete/", {"password": PASSWORD}, follow=True)
    assert "as soon as your open orders and gifts have finished" in messages_of(response)[-1]
    request = RightsRequest.objects.get(user=user)
    assert (request.status, request.open_orders) == (RightsRequest.Status.WAITING, 1)
    user.refresh_from_db()
    assert user.is_active
    order.refresh_from_db()
    assert order.street == "文三路 1 号"
    deliver(order)
    run = services.purge_run()
    assert run.deletions_completed == 1
    request.refresh_from_db()
    assert request.status == RightsRequest.Status.DONE
    user.refresh_from_db()
    assert not user.is_active


def test_a_wrong_password_deletes_nothing() -> None:
    user, client = shopper()
    response = client.post("/account/delete/", {"password": "guess"})
    assert "That is not your password." in response.content.decode()
    user.refresh_from_db()
    assert user.is_active and not RightsRequest.objects.exists()


def test_asking_again_while_a_deletion_waits_is_refused_and_changes_nothing() -> None:
    user, client = shopper()
    OrderFactory(user=user, status=Order.Status.PAID)
    client.post("/account/delete/", {"password": PASSWORD})
    response = client.post("/account/delete/", {"password": PASSWORD}, follow=True)
    assert "You already asked to delete your account" in messages_of(response)[-1]
    assert RightsRequest.objects.count() == 1
    assert "Your account will be deleted once your open orders (1)" in response.content.decode()


def test_a_staff_account_is_not_deleted_by_its_owner() -> None:
    user, client = shopper(is_staff=True)
    response = client.post("/account/delete/", {"password": PASSWORD}, follow=True)
    assert "closed by a platform operator" in messages_of(response)[-1]
    user.refresh_from_db()
    assert user.is_active and not RightsRequest.objects.exists()


def test_a_gift_waiting_for_payment_makes_the_deletion_wait() -> None:
    user, _client = shopper()
    create_gift(sender=user)
    request = services.account_delete(user=user)
    assert (request.status, request.open_gifts) == (RightsRequest.Status.WAITING, 1)


# --- A recipient's early erasure -----------------------------------------------------------


def test_a_recipient_erases_their_details_through_the_link_once_delivered() -> None:
    client = browser()
    claim = accepted(client)
    deliver(claim.order)
    page = client.get(link(claim.gift)).content.decode()
    assert "Erase my name, phone and address now" in page
    response = client.post(f"{link(claim.gift)}erase/", {"claim": claim.pk}, follow=True)
    assert "were erased" in messages_of(response)[-1]
    claim.refresh_from_db()
    claim.order.refresh_from_db()
    assert claim.street == claim.order.street == services.PURGED_STREET
    assert CLAIM_FORM["phone"] not in (claim.phone + claim.order.phone)
    request = RightsRequest.objects.get(claim=claim)
    assert request.kind == RightsRequest.Kind.RECIPIENT_ERASURE
    assert request.outcome and CLAIM_FORM["street"] not in request.outcome


def test_an_erasure_before_delivery_is_refused_and_changes_nothing() -> None:
    client = browser()
    claim = accepted(client)
    response = client.post(f"{link(claim.gift)}erase/", {"claim": claim.pk}, follow=True)
    assert "once the gift has been delivered" in messages_of(response)[-1]
    claim.refresh_from_db()
    assert claim.street == CLAIM_FORM["street"]
    assert not RightsRequest.objects.exists()


def test_a_repeated_erasure_is_answered_and_changes_nothing() -> None:
    client = browser()
    claim = accepted(client)
    deliver(claim.order)
    client.post(f"{link(claim.gift)}erase/", {"claim": claim.pk})
    response = client.post(f"{link(claim.gift)}erase/", {"claim": claim.pk}, follow=True)
    assert "already been erased" in messages_of(response)[-1]
    assert RightsRequest.objects.count() == 1


@pytest.mark.parametrize("claim_id", ["", "999999", "not-a-number"])
def test_an_unknown_claim_is_refused_and_changes_nothing(claim_id: str) -> None:
    client = browser()
    claim = accepted(client)
    deliver(claim.order)
    response = client.post(f"{link(claim.gift)}erase/", {"claim": claim_id}, follow=True)
    assert "no gift you accepted with this link" in messages_of(response)[-1]
    claim.refresh_from_db()
    assert claim.street == CLAIM_FORM["street"] and not RightsRequest.objects.exists()


def test_someone_else_s_claim_cannot_be_erased() -> None:
    recipient = browser()
    claim = accepted(recipient)
    deliver(claim.order)
    stranger = browser()
    response = stranger.post(f"{link(claim.gift)}erase/", {"claim": claim.pk}, follow=True)
    assert "no gift you accepted with this link" in messages_of(response)[-1]
    other = accepted(browser())  # a claim of another gift, through this gift's link
    response = recipient.post(f"{link(claim.gift)}erase/", {"claim": other.pk}, follow=True)
    assert "no gift you accepted with this link" in messages_of(response)[-1]
    claim.refresh_from_db()
    assert claim.street == CLAIM_FORM["street"] and not RightsRequest.objects.exists()


def test_an_unknown_link_is_not_found() -> None:
    response = browser().post("/g/no-such-token/erase/", {"claim": "1"})
    assert response.status_code == 404
    assert not RightsRequest.objects.exists()


def test_operators_see_the_requests_and_their_outcome() -> None:
    client = browser()
    claim = accepted(client)
    deliver(claim.order)
    client.post(f"{link(claim.gift)}erase/", {"claim": claim.pk})
    operator = browser()
    operator.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = operator.get("/admin/privacy/rightsrequest/").content.decode()
    assert "Recipient&#x27;s name, phone and street address masked" in page


def test_after_an_erasure_the_claim_page_says_so_and_shows_only_masked_details() -> None:
    client = browser()
    claim = accepted(client)
    deliver(claim.order)
    client.post(f"{link(claim.gift)}erase/", {"claim": claim.pk})
    page = client.get(link(claim.gift)).content.decode()
    assert 'id="claim-erased"' in page
    assert "Erase my name, phone and address now" not in page
    assert CLAIM_FORM["recipient_name"] not in page and "李**" in page
