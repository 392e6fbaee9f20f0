"""Bad input through the gift views: each is refused with a clear message and changes nothing.

"Nothing changed" means: no claim, no order, no refund, the gift still waiting for its
recipient with no unit claimed, and every SKU's stock as it was.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from gifting import services
from gifting.models import MESSAGE_MAX_LENGTH, Gift, GiftClaim
from shop.catalogue.models import StockRecord
from shop.orders.models import Order
from shop.payments.models import Payment, Refund
from shop.privacy import consent
from tests import sandbox
from tests.factories import CategoryFactory, ProductFactory, SkuFactory, UserFactory
from tests.gifts import create_gift, link, live_gift, recipient

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
CLAIM_FORM = {
    "recipient_name": "李小红",
    "phone": "139 1234 5678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "street": "文三路 1 号",
    "postcode": "",
    "action": "accept",
}
REQUIRED = "This field is required."
INVALID_LINK = "This gift link is not valid"


@pytest.fixture(autouse=True)
def _empty_cache():
    """The claim throttle counts misses in the cache: no test inherits another's count."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    """Users log in with force_login: their password hash need not be slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def visitor(ip: str = "10.0.0.1") -> Client:
    """An anonymous, English-speaking browser at one address."""
    return Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=ip)


def logged_in(user: object) -> Client:
    client = visitor("10.0.0.9")
    client.force_login(user)
    return client


def snapshot(gift: Gift) -> tuple:
    gift.refresh_from_db()
    skus = gift.sku.product.skus.values_list("pk", flat=True)
    return (
        gift.status,
        gift.units_claimed,
        GiftClaim.objects.filter(gift=gift).count(),
        Order.objects.filter(payment=gift.payment).count(),
        Refund.objects.filter(payment=gift.payment).count(),
        sorted(StockRecord.objects.filter(sku__in=skus).values_list("sku_id", "quantity")),
    )


def assert_unchanged(gift: Gift, before: tuple) -> None:
    after = snapshot(gift)
    assert after == before
    assert after[:5] == (Gift.Status.AWAITING_RECIPIENT, 0, 0, 0, 0)


def error_of(response, field: str) -> list[str]:
    return response.context["form"].errors.get(field, [])


def non_field_errors(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


@pytest.fixture
def choosy_gift(client):
    """A live gift of a ¥99 SKU whose product also has a ¥59 and a ¥149 variant; the
    recipient may choose."""
    product = ProductFactory()
    paid = SkuFactory(
        product=product, price=Decimal("99.00"), attributes={"colour": "红色"}, stock=50
    )
    cheaper = SkuFactory(product=product, price=Decimal("59.00"), attributes={"colour": "蓝色"})
    dearer = SkuFactory(product=product, price=Decimal("149.00"), attributes={"colour": "金色"})
    gift = live_gift(client, sku=paid, allow_variant_choice=True)
    gift.cheaper, gift.dearer = cheaper, dearer
    return gift


@pytest.fixture
def fixed_gift(client):
    """A live gift whose variant the recipient may not change (a cheaper one exists)."""
    product = ProductFactory()
    paid = SkuFactory(product=product, price=Decimal("99.00"), stock=50)
    gift = live_gift(client, sku=paid, allow_variant_choice=False)
    gift.cheaper = SkuFactory(product=product, price=Decimal("59.00"))
    return gift


# --- The claim form ------------------------------------------------------------------------


def test_claim_with_empty_phone_asks_for_the_phone_and_changes_nothing(fixed_gift) -> None:
    before = snapshot(fixed_gift)
    response = visitor().post(link(fixed_gift), {**CLAIM_FORM, "phone": ""})
    assert response.status_code == 200
    assert error_of(response, "phone") == [REQUIRED]
    assert REQUIRED in response.text
    assert "Accept gift" in response.text  # the form is shown again, filled in
    assert 'value="李小红"' in response.text
    assert_unchanged(fixed_gift, before)


def test_claim_with_a_wrong_phone_explains_the_format_and_changes_nothing(fixed_gift) -> None:
    before = snapshot(fixed_gift)
    response = visitor().post(link(fixed_gift), {**CLAIM_FORM, "phone": "12345"})
    assert response.status_code == 200
    assert error_of(response, "phone")
    assert "Enter an 11-digit mainland mobile number" in response.text
    assert_unchanged(fixed_gift, before)


@pytest.mark.parametrize("field", ["recipient_name", "province", "city", "district", "street"])
def test_claim_with_a_missing_field_marks_that_field_and_changes_nothing(
    fixed_gift, field: str
) -> None:
    before = snapshot(fixed_gift)
    response = visitor().post(link(fixed_gift), {k: v for k, v in CLAIM_FORM.items() if k != field})
    assert response.status_code == 200
    assert error_of(response, field) == [REQUIRED]
    assert response.text.count("field--error") == 1
    assert_unchanged(fixed_gift, before)


def test_claim_of_a_variant_dearer_than_what_was_paid_is_refused(choosy_gift) -> None:
    before = snapshot(choosy_gift)
    response = visitor().post(link(choosy_gift), {**CLAIM_FORM, "sku": choosy_gift.dearer.pk})
    assert response.status_code == 200
    assert non_field_errors(response) == ["Choose one of the variants offered."]
    assert "Choose one of the variants offered." in response.text
    assert_unchanged(choosy_gift, before)


def test_the_dearer_variant_is_not_offered_to_the_recipient(choosy_gift) -> None:
    response = visitor().get(link(choosy_gift))
    offered = {int(v) for v in re.findall(r'name="sku" value="(\d+)"', response.text)}
    assert offered == {choosy_gift.sku_id, choosy_gift.cheaper.pk}


def test_claim_of_another_products_sku_is_refused(choosy_gift) -> None:
    other = SkuFactory(price=Decimal("1.00"))
    before = snapshot(choosy_gift)
    response = visitor().post(link(choosy_gift), {**CLAIM_FORM, "sku": other.pk})
    assert non_field_errors(response) == ["Choose one of the variants offered."]
    assert "Choose one of the variants offered." in response.text
    assert_unchanged(choosy_gift, before)
    assert StockRecord.objects.get(sku=other).quantity == 10


def test_claim_with_a_non_numeric_sku_is_refused_and_changes_nothing(choosy_gift) -> None:
    before = snapshot(choosy_gift)
    response = visitor().post(link(choosy_gift), {**CLAIM_FORM, "sku": "1 OR 1=1"})
    assert response.status_code == 200
    assert error_of(response, "sku")
    assert_unchanged(choosy_gift, before)


def test_claim_with_a_non_numeric_sku_shows_an_error(choosy_gift) -> None:
    response = visitor().post(link(choosy_gift), {**CLAIM_FORM, "sku": "abc"})
    assert 'role="alert"' in response.text or "field__error" in response.text


def test_claim_of_another_variant_is_refused_when_the_sender_fixed_it(fixed_gift) -> None:
    before = snapshot(fixed_gift)
    response = visitor().post(link(fixed_gift), {**CLAIM_FORM, "sku": fixed_gift.cheaper.pk})
    assert non_field_errors(response) == ["This gift's variant cannot be changed."]
    assert "This gift&#x27;s variant cannot be changed." in response.text
    assert_unchanged(fixed_gift, before)


def test_claim_of_the_cheaper_variant_moves_the_stock_when_choice_is_allowed(choosy_gift) -> None:
    response = visitor().post(link(choosy_gift), {**CLAIM_FORM, "sku": choosy_gift.cheaper.pk})
    assert response.status_code == 302
    claim = GiftClaim.objects.get(gift=choosy_gift)
    assert claim.sku == choosy_gift.cheaper
    assert StockRecord.objects.get(sku=choosy_gift.sku).quantity == 50  # released
    assert StockRecord.objects.get(sku=choosy_gift.cheaper).quantity == 10 - 1
    assert claim.order.total == Decimal("99.00")  # the order carries what the sender paid


def test_the_claim_page_never_shows_the_price(choosy_gift) -> None:
    response = visitor().get(link(choosy_gift))
    assert "Accept gift" in response.text
    for price in ("¥", "99.00", "59.00", "149.00"):
        assert price not in response.text, price


def test_claiming_after_the_deadline_is_refused_before_the_sweep_ran(fixed_gift) -> None:
    Gift.objects.filter(pk=fixed_gift.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    before = snapshot(fixed_gift)
    response = visitor().post(link(fixed_gift), CLAIM_FORM)
    assert non_field_errors(response) == ["This gift expired: it was not accepted in time."]
    assert snapshot(fixed_gift) == before
    assert before[1:5] == (0, 0, 0, 0)


def test_a_gift_past_its_deadline_shows_no_form_before_the_sweep_ran(fixed_gift) -> None:
    Gift.objects.filter(pk=fixed_gift.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = visitor().get(link(fixed_gift))
    assert "Accept gift" not in response.text


# --- Links that do not (or no longer) work ---------------------------------------------------


def test_an_accepted_link_shows_the_acceptance_again_to_the_recipient_without_a_form(
    fixed_gift,
) -> None:
    browser = visitor()
    browser.post(link(fixed_gift), CLAIM_FORM)
    before = snapshot(fixed_gift)
    response = browser.get(link(fixed_gift))
    assert "You accepted this gift" in response.text
    assert "Accept gift" not in response.text
    browser.post(link(fixed_gift), {**CLAIM_FORM, "phone": "13700000000"})
    assert snapshot(fixed_gift) == before
    assert before[:3] == (Gift.Status.ACCEPTED, 1, 1)


def test_an_accepted_link_reused_by_someone_else_changes_nothing(fixed_gift) -> None:
    visitor("10.0.0.1").post(link(fixed_gift), CLAIM_FORM)
    before = snapshot(fixed_gift)
    other = visitor("10.0.0.2")
    page = other.get(link(fixed_gift))
    assert "This gift has already been accepted." in page.text
    assert "Accept gift" not in page.text
    assert "claim-form" not in page.text
    response = other.post(link(fixed_gift), {**CLAIM_FORM, "phone": "13700000000"})
    assert "This gift has already been accepted." in response.text
    other.post(link(fixed_gift), {"action": "decline", "confirm": "yes"})
    assert snapshot(fixed_gift) == before


def test_a_truncated_link_is_a_404_saying_the_link_is_not_valid(fixed_gift) -> None:
    response = visitor().get(link(fixed_gift)[:-6] + "/")
    assert response.status_code == 404
    assert INVALID_LINK in response.text
    assert response["Referrer-Policy"] == "same-origin"


def test_a_truncated_link_cannot_be_posted_to(fixed_gift) -> None:
    before = snapshot(fixed_gift)
    response = visitor().post(link(fixed_gift)[:-6] + "/", CLAIM_FORM)
    assert response.status_code == 404
    assert_unchanged(fixed_gift, before)


def test_an_unpaid_gifts_link_is_not_valid() -> None:
    gift = create_gift()
    response = visitor().get(link(gift))
    assert response.status_code == 404
    assert INVALID_LINK in response.text


def test_the_sender_opening_their_own_link_sees_no_form(fixed_gift) -> None:
    response = logged_in(fixed_gift.sender).get(link(fixed_gift))
    assert response.status_code == 200
    assert "This is the gift you sent." in response.text
    assert "Accept gift" not in response.text
    assert "Decline" not in response.text


def test_the_sender_cannot_accept_their_own_gift_by_posting(fixed_gift) -> None:
    before = snapshot(fixed_gift)
    response = logged_in(fixed_gift.sender).post(link(fixed_gift), CLAIM_FORM)
    assert "This is the gift you sent." in response.text
    assert_unchanged(fixed_gift, before)


def test_the_sender_cannot_decline_their_own_gift_by_posting(fixed_gift) -> None:
    before = snapshot(fixed_gift)
    logged_in(fixed_gift.sender).post(link(fixed_gift), {"action": "decline", "confirm": "yes"})
    assert_unchanged(fixed_gift, before)


def test_the_services_refuse_the_sender_claiming_or_declining(fixed_gift) -> None:
    before = snapshot(fixed_gift)
    with (
        translation.override("en"),
        pytest.raises(services.GiftError, match=r"You cannot accept a gift you sent\."),
    ):
        services.gift_claim(
            gift=fixed_gift, recipient=recipient(), sku_id=None, user=fixed_gift.sender
        )
    with (
        translation.override("en"),
        pytest.raises(services.GiftError, match=r"You cannot decline a gift you sent\."),
    ):
        services.gift_decline(gift=fixed_gift, user=fixed_gift.sender)
    assert_unchanged(fixed_gift, before)


# --- Throttling wrong links --------------------------------------------------------------


def test_too_many_wrong_links_from_one_client_get_429_with_retry_after(
    settings, fixed_gift
) -> None:
    settings.GIFT_CLAIM_MISS_LIMIT = 3
    guesser = visitor("203.0.113.7")
    statuses = [guesser.get(f"/g/wrong-token-{n}/").status_code for n in range(3)]
    assert statuses == [404, 404, 404]
    blocked = guesser.get("/g/wrong-token-4/")
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == str(settings.GIFT_CLAIM_MISS_WINDOW_SECONDS)
    assert "Too many attempts" in blocked.text


def test_a_client_blocked_for_wrong_links_is_still_served_a_valid_one(settings, fixed_gift) -> None:
    settings.GIFT_CLAIM_MISS_LIMIT = 3
    office = visitor("203.0.113.7")
    for n in range(4):
        office.get(f"/g/wrong-token-{n}/")
    assert office.get("/g/another/").status_code == 429
    assert office.get(link(fixed_gift)).status_code == 200
    assert office.post(link(fixed_gift), CLAIM_FORM).status_code == 302
    fixed_gift.refresh_from_db()
    assert fixed_gift.status == Gift.Status.ACCEPTED


def test_behind_the_balancer_wrong_links_are_counted_per_visitor(settings, fixed_gift) -> None:
    settings.GIFT_CLAIM_MISS_LIMIT = 3
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    guesser = visitor("10.0.0.2")
    for n in range(4):
        guesser.get(f"/g/wrong-token-{n}/", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert guesser.get("/g/another/", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    other = visitor("10.0.0.3")
    assert other.get("/g/another/", HTTP_X_FORWARDED_FOR="198.51.100.20").status_code == 404


def test_a_blocked_client_does_not_block_a_recipient_at_another_address(
    settings, fixed_gift
) -> None:
    settings.GIFT_CLAIM_MISS_LIMIT = 3
    guesser = visitor("203.0.113.7")
    for n in range(4):
        guesser.get(f"/g/wrong-token-{n}/")
    assert guesser.get("/g/another/").status_code == 429
    friend = visitor("198.51.100.20")
    assert friend.get(link(fixed_gift)).status_code == 200
    response = friend.post(link(fixed_gift), CLAIM_FORM)
    assert response.status_code == 302
    fixed_gift.refresh_from_db()
    assert fixed_gift.status == Gift.Status.ACCEPTED


def test_opening_a_real_link_many_times_is_never_throttled(settings, fixed_gift) -> None:
    settings.GIFT_CLAIM_MISS_LIMIT = 3
    friend = visitor()
    assert {friend.get(link(fixed_gift)).status_code for _ in range(6)} == {200}


# --- The send form ---------------------------------------------------------------------------


@pytest.fixture
def sender():
    return UserFactory()


def send_form(sku, **changes) -> dict:
    return {
        "sku": sku.pk,
        "quantity": 1,
        "sender_name": "小明",
        "message": "生日快乐！",
        **changes,
    }


def assert_no_gift_made(*skus) -> None:
    assert not Gift.objects.exists()
    assert not Payment.objects.exists()
    for sku in skus:
        assert StockRecord.objects.get(sku=sku).quantity == sku._stock_before


def stocked(sku):
    sku._stock_before = StockRecord.objects.get(sku=sku).quantity
    return sku


def test_a_non_giftable_category_shows_no_gift_button_and_its_send_url_is_404(sender) -> None:
    jewellery = CategoryFactory(name_en="Jewellery", slug="jewellery", giftable=False)
    sku = SkuFactory(product=ProductFactory(category=jewellery))
    client = logged_in(sender)
    page = client.get(f"/products/{sku.product_id}/")
    assert page.status_code == 200
    assert "Send as a gift" not in page.text
    assert "Items in this category cannot be sent as gifts." in page.text
    assert client.get(f"/gifts/send/{sku.product_id}/").status_code == 404
    assert client.post(f"/gifts/send/{sku.product_id}/", send_form(sku)).status_code == 404
    assert not Gift.objects.exists()


def test_a_subcategory_of_a_non_giftable_category_cannot_be_sent(sender) -> None:
    jewellery = CategoryFactory(giftable=False)
    rings = CategoryFactory(parent=jewellery, giftable=True)
    sku = SkuFactory(product=ProductFactory(category=rings))
    client = logged_in(sender)
    assert "Send as a gift" not in client.get(f"/products/{sku.product_id}/").text
    assert client.get(f"/gifts/send/{sku.product_id}/").status_code == 404


def test_a_giftable_product_shows_the_gift_button(sender) -> None:
    sku = SkuFactory()
    page = logged_in(sender).get(f"/products/{sku.product_id}/")
    assert f'href="/gifts/send/{sku.product_id}/"' in page.text


def test_a_sku_above_the_gift_price_limit_is_not_offered_and_is_refused(settings, sender) -> None:
    settings.GIFT_MAX_UNIT_PRICE = Decimal("500.00")
    product = ProductFactory()
    cheap = stocked(SkuFactory(product=product, price=Decimal("499.99")))
    dear = stocked(SkuFactory(product=product, price=Decimal("500.01")))
    client = logged_in(sender)
    page = client.get(f"/gifts/send/{product.pk}/")
    assert f'value="{cheap.pk}"' in page.text
    assert f'value="{dear.pk}"' not in page.text
    response = client.post(f"/gifts/send/{product.pk}/", send_form(dear))
    assert response.status_code == 200
    assert non_field_errors(response)
    assert 'role="alert"' in response.text
    assert_no_gift_made(cheap, dear)


def test_a_product_whose_skus_all_exceed_the_price_limit_cannot_be_sent(settings, sender) -> None:
    settings.GIFT_MAX_UNIT_PRICE = Decimal("50.00")
    sku = SkuFactory(price=Decimal("99.00"))
    client = logged_in(sender)
    assert "Send as a gift" not in client.get(f"/products/{sku.product_id}/").text
    assert client.get(f"/gifts/send/{sku.product_id}/").status_code == 404


@pytest.mark.parametrize("quantity", [0, 101, -1])
def test_a_quantity_outside_1_to_100_is_refused(sender, quantity: int) -> None:
    sku = stocked(SkuFactory(stock=200))
    response = logged_in(sender).post(
        f"/gifts/send/{sku.product_id}/", send_form(sku, quantity=quantity)
    )
    assert response.status_code == 200
    assert error_of(response, "quantity")
    assert "field__error" in response.text
    assert_no_gift_made(sku)


def test_a_sold_out_sku_is_refused(sender) -> None:
    product = ProductFactory()
    sold_out = stocked(SkuFactory(product=product, stock=0))
    other = stocked(SkuFactory(product=product, stock=5))
    response = logged_in(sender).post(f"/gifts/send/{product.pk}/", send_form(sold_out))
    assert response.status_code == 200
    assert non_field_errors(response) == ["Sorry, there are not enough of this item left."]
    assert "Sorry, there are not enough of this item left." in response.text
    assert_no_gift_made(sold_out, other)


def test_more_units_than_in_stock_are_refused(sender) -> None:
    sku = stocked(SkuFactory(stock=3))
    response = logged_in(sender).post(f"/gifts/send/{sku.product_id}/", send_form(sku, quantity=4))
    assert non_field_errors(response) == ["Sorry, there are not enough of this item left."]
    assert_no_gift_made(sku)


def test_a_201_character_message_is_refused(sender) -> None:
    sku = stocked(SkuFactory())
    response = logged_in(sender).post(
        f"/gifts/send/{sku.product_id}/", send_form(sku, message="礼" * (MESSAGE_MAX_LENGTH + 1))
    )
    assert response.status_code == 200
    assert error_of(response, "message") == [
        "Ensure this value has at most 200 characters (it has 201)."
    ]
    assert "at most 200 characters" in response.text
    assert_no_gift_made(sku)


def test_a_200_character_message_is_accepted(sender) -> None:
    sku = SkuFactory()
    message = "礼" * MESSAGE_MAX_LENGTH
    response = logged_in(sender).post(
        f"/gifts/send/{sku.product_id}/", send_form(sku, message=message)
    )
    assert response.status_code == 302
    assert re.search(r"/sandbox/pay/ch_[0-9a-f]+/$", response["Location"])
    assert Gift.objects.get().message == message


def test_a_200_character_message_with_a_line_break_typed_in_a_browser_is_accepted(
    sender,
) -> None:
    sku = SkuFactory()
    message = "祝你生日快乐" + "\r\n" + "礼" * (MESSAGE_MAX_LENGTH - 7)  # 200 as the browser counts
    response = logged_in(sender).post(
        f"/gifts/send/{sku.product_id}/", send_form(sku, message=message)
    )
    assert response.status_code == 302


def test_html_in_the_message_is_stored_as_text_and_shown_escaped(client, sender) -> None:
    sku = SkuFactory()
    script = "<script>alert(1)</script>"
    owner = logged_in(sender)
    owner.post(f"/gifts/send/{sku.product_id}/", send_form(sku, message=script))
    gift = Gift.objects.get()
    assert gift.message == script
    sandbox.pay(client, gift.payment)
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    for page in (visitor().get(link(gift)), owner.get(f"/gifts/sent/{gift.pk}/")):
        assert page.status_code == 200
        assert escaped in page.text
        assert script not in page.text


def test_a_blank_from_name_is_refused(sender) -> None:
    sku = stocked(SkuFactory())
    response = logged_in(sender).post(
        f"/gifts/send/{sku.product_id}/", send_form(sku, sender_name="   ")
    )
    assert response.status_code == 200
    assert error_of(response, "sender_name") == [REQUIRED]
    assert_no_gift_made(sku)


def test_the_send_page_states_the_configured_accept_window(settings, sender) -> None:
    settings.GIFT_ACCEPT_WINDOW_SECONDS = 48 * 3600
    sku = SkuFactory()
    page = logged_in(sender).get(f"/gifts/send/{sku.product_id}/")
    assert "If nobody accepts within 48 hours" in page.text


def test_the_send_page_needs_a_login() -> None:
    sku = SkuFactory()
    response = visitor().get(f"/gifts/send/{sku.product_id}/")
    assert response.status_code == 302
    assert "/account/login/" in response["Location"]


# --- Decline and cancel ----------------------------------------------------------------------


def test_declining_a_single_gift_closes_it_and_refunds_the_sender(fixed_gift) -> None:
    response = visitor().post(
        link(fixed_gift), {"action": "decline", "confirm": "yes"}, follow=True
    )
    assert "You declined the gift. The sender gets their money back." in response.text
    fixed_gift.refresh_from_db()
    assert fixed_gift.status == Gift.Status.DECLINED
    refund = Refund.objects.get(payment=fixed_gift.payment)
    assert (refund.amount, refund.subject) == (Decimal("99.00"), f"gift:{fixed_gift.pk}")
    assert StockRecord.objects.get(sku=fixed_gift.sku).quantity == 50
    assert not GiftClaim.objects.exists()
    assert "This gift was declined." in response.text
    assert "Accept gift" not in response.text


def test_declining_an_accepted_gift_is_refused(fixed_gift) -> None:
    visitor("10.0.0.1").post(link(fixed_gift), CLAIM_FORM)
    response = visitor("10.0.0.2").post(
        link(fixed_gift), {"action": "decline", "confirm": "yes"}, follow=True
    )
    assert "This gift has already been accepted." in response.text
    fixed_gift.refresh_from_db()
    assert fixed_gift.status == Gift.Status.ACCEPTED
    assert not Refund.objects.exists()


def test_declining_a_group_gift_keeps_every_unit_for_the_others(client) -> None:
    gift = live_gift(client, quantity=3)
    before = snapshot(gift)
    visitor().post(link(gift), {"action": "decline", "confirm": "yes"})
    assert_unchanged(gift, before)


def test_declining_a_group_gift_does_not_promise_the_sender_a_refund(client) -> None:
    gift = live_gift(client, quantity=3)
    response = visitor().post(link(gift), {"action": "decline", "confirm": "yes"}, follow=True)
    assert "money back" not in response.text


def test_the_sender_cancelling_a_live_gift_gets_a_refund(fixed_gift) -> None:
    owner = logged_in(fixed_gift.sender)
    page = owner.get(f"/gifts/sent/{fixed_gift.pk}/")
    assert "Cancel the gift and get a refund" in page.text
    response = owner.post(f"/gifts/sent/{fixed_gift.pk}/cancel/", follow=True)
    assert "The gift was cancelled; the money is on its way back." in response.text
    fixed_gift.refresh_from_db()
    assert fixed_gift.status == Gift.Status.CANCELLED
    assert Refund.objects.get(payment=fixed_gift.payment).amount == Decimal("99.00")
    assert StockRecord.objects.get(sku=fixed_gift.sku).quantity == 50
    assert visitor().get(link(fixed_gift)).text.count("The sender cancelled this gift.") == 1


def test_cancelling_after_acceptance_is_refused_with_a_message(fixed_gift) -> None:
    visitor().post(link(fixed_gift), CLAIM_FORM)
    owner = logged_in(fixed_gift.sender)
    response = owner.post(f"/gifts/sent/{fixed_gift.pk}/cancel/", follow=True)
    assert "This gift has already been accepted." in response.text
    assert "message--error" in response.text
    fixed_gift.refresh_from_db()
    assert fixed_gift.status == Gift.Status.ACCEPTED
    assert not Refund.objects.exists()
    assert Order.objects.filter(payment=fixed_gift.payment, status=Order.Status.PAID).count() == 1


def test_someone_else_cannot_cancel_a_gift(fixed_gift) -> None:
    before = snapshot(fixed_gift)
    response = logged_in(UserFactory()).post(f"/gifts/sent/{fixed_gift.pk}/cancel/")
    assert response.status_code == 404
    assert_unchanged(fixed_gift, before)


def test_cancel_only_accepts_post(fixed_gift) -> None:
    before = snapshot(fixed_gift)
    response = logged_in(fixed_gift.sender).get(f"/gifts/sent/{fixed_gift.pk}/cancel/")
    assert response.status_code == 405
    assert_unchanged(fixed_gift, before)


# --- Query budget ----------------------------------------------------------------------------


def _claim_page_queries(gift: Gift) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = visitor().get(link(gift))
    assert response.status_code == 200
    return len(queries)


def test_the_claim_page_runs_a_small_constant_number_of_queries(client) -> None:
    product = ProductFactory()
    two = live_gift(
        client,
        sku=SkuFactory(product=product, price=Decimal("99.00")),
        allow_variant_choice=True,
    )
    SkuFactory(product=product, price=Decimal("50.00"))
    few = _claim_page_queries(two)
    for _ in range(6):
        SkuFactory(product=product, price=Decimal("50.00"))
    many = _claim_page_queries(two)
    assert few == many
    assert many == 2  # the gift (with SKU, product, shop, stock, photo), its variants


def test_the_claim_page_of_a_gift_without_a_choice_is_one_statement(fixed_gift) -> None:
    assert _claim_page_queries(fixed_gift) == 1  # the gift, with all the page shows


def _statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"].split(None, 1)[0] for q in queries]


def test_accepting_a_gift_runs_a_fixed_list_of_statements(fixed_gift) -> None:
    consent.notice_current()  # written on first use: not part of a claim
    with CaptureQueriesContext(connection) as queries:
        response = visitor().post(link(fixed_gift), CLAIM_FORM)
    assert response.status_code == 302
    fixed_gift.refresh_from_db()
    assert fixed_gift.status == Gift.Status.ACCEPTED
    # The gift; then, in one transaction (a savepoint in this test's): the unit, the
    # order (row, line, events, its partners for the outbox), the claim, its event, the
    # sender's notice (and its id), the privacy notice and the consent. No session: the
    # browser remembers its claim in a signed cookie.
    assert " ".join(_statements(queries)) == (
        "SELECT SAVEPOINT UPDATE INSERT INSERT INSERT SELECT INSERT INSERT "
        "INSERT SELECT SELECT INSERT RELEASE"
    ), "\n".join(q["sql"][:100] for q in queries)


# --- One unit per phone ------------------------------------------------------------------


def test_one_phone_written_six_ways_claims_one_unit_of_a_group_gift(client) -> None:
    gift = live_gift(client, quantity=6)
    spellings = [
        "13912345678",
        "１３９１２３４５６７８",  # full width
        "+86 139 1234 5678",
        "١٣٩١٢٣٤٥٦٧٨",  # Arabic-Indic
        "१३९१२३४५६७८",  # Devanagari
        "139\u30001234－5678",  # ideographic space, full-width dash
    ]
    for n, phone in enumerate(spellings):
        visitor(f"10.0.1.{n}").post(link(gift), {**CLAIM_FORM, "phone": phone})
    gift.refresh_from_db()
    assert gift.units_claimed == 1
    assert list(GiftClaim.objects.filter(gift=gift).values_list("phone", flat=True)) == [
        "13912345678"
    ]


def test_a_phone_in_another_script_is_refused_with_a_message(fixed_gift) -> None:
    before = snapshot(fixed_gift)
    response = visitor().post(link(fixed_gift), {**CLAIM_FORM, "phone": "١٣٩١٢٣٤٥٦٧٨"})
    assert response.status_code == 200
    assert error_of(response, "phone") == [
        "Enter an 11-digit mainland mobile number starting with 13–19, e.g. 13800138000."
    ]
    assert_unchanged(fixed_gift, before)


def test_a_full_width_phone_is_stored_as_ascii_on_the_claim_and_the_order(fixed_gift) -> None:
    visitor().post(link(fixed_gift), {**CLAIM_FORM, "phone": "１３９ １２３４ ５６７８"})
    assert GiftClaim.objects.get(gift=fixed_gift).phone == "13912345678"
    assert Order.objects.get(payment=fixed_gift.payment).phone == "13912345678"
