"""The claim page as a pasted link previews it and as a recipient fills it in."""

import re
from decimal import Decimal
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.test import Client

from gifting.models import Gift
from shop.payments.models import Refund
from tests.factories import MerchantFactory, ProductFactory, ProductImageFactory, SkuFactory
from tests.gifts import CLAIM_FORM, link, live_gift

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    """The empty address fields are cached: each test renders its own language's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def gift(client, settings) -> Gift:
    settings.SITE_URL = "https://shop.example.com"
    product = ProductFactory(
        title="真丝围巾", title_en="Silk Scarf", merchant=MerchantFactory(name_en="Silk House")
    )
    ProductImageFactory(product=product)
    return live_gift(
        client,
        sku=SkuFactory(product=product, price=Decimal("199.00"), stock=5),
        sender_name="小明",
        message="生日快乐",
    )


def visitor(language: str = "en") -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE=language)


class _Meta(HTMLParser):
    """The page's <meta> tags, by property or name."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("property") or attrs.get("name")):
            self.tags[attrs.get("property") or attrs["name"]] = attrs.get("content", "")


def meta(html: str) -> dict[str, str]:
    parser = _Meta()
    parser.feed(html)
    return parser.tags


def test_the_share_card_names_the_sender_in_english(gift) -> None:
    tags = meta(visitor().get(link(gift)).text)
    assert tags["og:title"] == "A gift from 小明"
    assert tags["twitter:title"] == "A gift from 小明"


def test_the_share_card_names_the_sender_in_chinese(gift) -> None:
    tags = meta(visitor("zh-hans").get(link(gift)).text)
    assert tags["og:title"] == "小明送你一份礼物"


def test_the_share_card_shows_the_product_picture_at_an_absolute_address(gift) -> None:
    tags = meta(visitor().get(link(gift)).text)
    assert re.fullmatch(r"https://shop\.example\.com/media/products/.+\.jpg", tags["og:image"])
    assert tags["twitter:image"] == tags["og:image"]
    assert tags["twitter:card"] == "summary_large_image"


def test_the_share_card_describes_the_product_without_its_price(gift) -> None:
    tags = meta(visitor().get(link(gift)).text)
    assert "Silk Scarf" in tags["og:description"]
    assert not any("199" in value or "¥" in value for value in tags.values())


def test_the_share_card_never_carries_the_recipients_details(gift) -> None:
    visitor().post(link(gift), CLAIM_FORM)
    tags = meta(visitor().get(link(gift)).text)
    for secret in ("李小红", "13912345678", "文三路", "西湖区"):
        assert not any(secret in value for value in tags.values()), secret


def test_the_claim_page_asks_search_engines_not_to_index_it(gift) -> None:
    response = visitor().get(link(gift))
    assert response["X-Robots-Tag"] == "noindex"
    assert meta(response.text)["robots"] == "noindex"


def test_a_wrong_link_is_not_indexed_either(gift) -> None:
    assert visitor().get("/g/not-a-token/")["X-Robots-Tag"] == "noindex"


def test_the_claim_page_says_when_the_gift_expires_in_beijing_time(gift) -> None:
    html = visitor().get(link(gift)).text
    local = gift.expires_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    expires = re.search(r'<p id="claim-expires">(.*?)</p>', html, re.S).group(1)
    assert local in expires and "Beijing time" in expires


def test_the_postcode_is_marked_optional(gift) -> None:
    html = visitor().get(link(gift)).text
    assert re.search(r'<label for="id_postcode">Postcode <span class="muted">\(optional\)', html)


@pytest.mark.parametrize(
    ("field", "token"),
    [
        ("recipient_name", "name"),
        ("phone", "tel"),
        ("province", "address-level1"),
        ("city", "address-level2"),
        ("district", "address-level3"),
        ("street", "street-address"),
        ("postcode", "postal-code"),
    ],
)
def test_every_address_field_says_what_browsers_may_fill_in(gift, field, token) -> None:
    html = visitor().get(link(gift)).text
    tag = re.search(rf'<(?:input|select)[^>]*name="{field}"[^>]*>', html).group(0)
    assert f'autocomplete="{token}"' in tag


def test_a_field_error_is_tied_to_its_field_for_screen_readers(gift) -> None:
    html = visitor().post(link(gift), {**CLAIM_FORM, "phone": "12345"}).text
    tag = re.search(r'<input[^>]*name="phone"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in tag
    described_by = re.search(r'aria-describedby="([^"]+)"', tag).group(1)
    for element_id in described_by.split():
        assert f'id="{element_id}"' in html
    assert re.search(r'id="id_phone_error">Enter an 11-digit', html)


def test_an_error_is_announced_in_a_summary_linking_to_the_field(gift) -> None:
    html = visitor().post(link(gift), {**CLAIM_FORM, "phone": "12345"}).text
    summary = re.search(r'<div [^>]*role="alert" id="claim-errors">(.*?)</div>', html, re.S)
    assert '<a href="#id_phone">Phone</a>' in summary.group(1)


def test_fields_keep_what_was_typed_after_an_error(gift) -> None:
    html = visitor().post(link(gift), {**CLAIM_FORM, "phone": "12345", "city": "某某县"}).text
    for field, value in [
        ("recipient_name", "李小红"),
        ("city", "某某县"),
        ("district", "西湖区"),
        ("street", "文三路 1 号"),
        ("phone", "12345"),
    ]:
        tag = re.search(rf'<input[^>]*name="{field}"[^>]*>', html).group(0)
        assert f'value="{value}"' in tag, field
    assert re.search(r'<option value="浙江省" selected>', html)


def test_the_address_fields_open_the_region_picker_with_the_shipped_list(gift) -> None:
    html = visitor().get(link(gift)).text
    picker = re.search(r"<div data-region-picker[^>]*>", html).group(0)
    assert re.search(r'data-regions-url="/static/shop/regions\.[0-9a-f]+\.json"', picker)
    assert 'data-other-label="Not listed: type it"' in picker


def test_decline_first_asks_for_a_confirmation_and_changes_nothing(gift) -> None:
    response = visitor().post(link(gift), {"action": "decline"})
    assert response.status_code == 200
    assert "Decline this gift?" in response.text
    assert 'name="confirm" value="yes"' in response.text
    gift.refresh_from_db()
    assert gift.status == Gift.Status.AWAITING_RECIPIENT
    assert not Refund.objects.filter(payment=gift.payment).exists()


def test_the_confirmation_page_is_private_too(gift) -> None:
    response = visitor().post(link(gift), {"action": "decline"})
    assert response["X-Robots-Tag"] == "noindex"
    assert response["Referrer-Policy"] == "same-origin"


def test_a_confirmed_decline_closes_the_gift(gift) -> None:
    response = visitor().post(link(gift), {"action": "decline", "confirm": "yes"}, follow=True)
    assert "You declined the gift." in response.text
    gift.refresh_from_db()
    assert gift.status == Gift.Status.DECLINED
