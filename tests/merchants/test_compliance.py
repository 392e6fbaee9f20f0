"""The listing compliance check (Advertising Law art. 9) and the product review flow."""

import pytest
from django.test import Client
from django.urls import reverse

from merchants.compliance import Finding, check_listing, check_text, highlight
from shop.catalogue import selectors
from shop.catalogue import services as catalogue
from shop.catalogue.models import Product
from tests.factories import MerchantFactory, ProductFactory, SkuFactory
from tests.merchants.adminforms import action, change_form_data, formset, messages_of
from tests.merchants.world import merchant_user

pytestmark = pytest.mark.django_db


def terms(text: str) -> list[str]:
    return [f.term for f in check_text("title", text)]


# --- The check -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("最好的茶", ["最好"]),
        ("全国第一品牌", ["第一"]),
        ("国家级非遗工艺", ["国家级"]),
        ("年度最佳礼物", ["最佳"]),
        ("顶级丝绸", ["顶级"]),
        ("最甜的橙子", ["最"]),
        ("手工制作的围巾", []),
    ],
)
def test_chinese_terms_are_found_as_substrings(text: str, expected: list[str]) -> None:
    assert terms(text) == expected


@pytest.mark.parametrize(
    "text",
    ["最近上新的茶", "妈妈的最爱", "最后一件，售完即止", "第一次送礼也不会错", "最多可装 500 克"],
)
def test_ordinary_words_built_on_banned_characters_pass(text: str) -> None:
    assert terms(text) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("最好的礼物", ["最好"]),
        ("销量第一", ["第一"]),
        ("国家级工艺", ["国家级"]),
        ("最近最好", ["最好"]),
    ],
)
def test_claims_still_fail_beside_ordinary_words(text: str, expected: list[str]) -> None:
    assert terms(text) == expected


def test_the_longest_chinese_term_wins_over_its_prefix() -> None:
    """最佳 is one finding, not 最 and then 佳."""
    findings = check_text("title", "最佳")
    assert [(f.term, f.start, f.end) for f in findings] == [("最佳", 0, 2)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Our best tea", ["best"]),
        ("The best tea", ["The best"]),
        ("BEST tea in town", ["BEST"]),
        ("Best-selling scarf", ["Best"]),
        ("No. 1 in Hangzhou", ["No. 1"]),
        ("no. 1 gift", ["no. 1"]),
        ("Quality guaranteed.", ["guaranteed"]),
        ("GUARANTEED fresh", ["GUARANTEED"]),
        ("The #1 gift", ["#1"]),
        ("A miracle, unbeatable cream", ["miracle", "unbeatable"]),
    ],
)
def test_english_terms_are_found_case_insensitively(text: str, expected: list[str]) -> None:
    assert terms(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "They bestow a gift",
        "Bestseller list",
        "No. 10 Downing Street",
        "Miracles happen",
        "guaranteeing nothing",
        "an unbeatableness",
    ],
)
def test_english_terms_match_whole_words_only(text: str) -> None:
    assert terms(text) == []


def test_the_best_is_one_finding() -> None:
    assert terms("the best tea") == ["the best"]


def test_findings_carry_field_and_position() -> None:
    text = "好茶 best 最佳"
    findings = check_text("description", text)
    assert findings == [
        Finding("description", "best", 3, 7),
        Finding("description", "最佳", 8, 10),
    ]
    for finding in findings:
        assert text[finding.start : finding.end] == finding.term


def test_the_listing_check_covers_titles_and_descriptions_in_both_languages() -> None:
    findings = check_listing(
        {
            "title": "顶级围巾",
            "title_en": "Scarf",
            "description": "保暖",
            "description_en": "Warmth guaranteed",
        }
    )
    assert [(f.field, f.term) for f in findings] == [
        ("title", "顶级"),
        ("description_en", "guaranteed"),
    ]
    assert check_listing({"title": "", "description": None}) == []


def test_english_terms_inside_chinese_copy_are_found() -> None:
    assert terms("年度best礼物") == ["best"]
    assert terms("品质guaranteed！") == ["guaranteed"]
    assert terms("bestow礼物") == []


def test_each_claim_is_reported_once() -> None:
    assert [(f.term, f.start) for f in check_text("title", "100% silk")] == [("100%", 0)]


# --- highlight() ---------------------------------------------------------------------------


def test_highlight_escapes_html_and_marks_findings() -> None:
    text = '<script>alert("x")</script> 最佳 & best'
    html = highlight(text, check_text("title", text))
    assert html == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; "
        "<mark>最佳</mark> &amp; <mark>best</mark>"
    )


def test_highlight_escapes_html_inside_a_finding() -> None:
    text = "<b>100%</b>"
    assert highlight(text, check_text("title", text)) == "&lt;b&gt;<mark>100%</mark>&lt;/b&gt;"


def test_highlight_without_findings_only_escapes() -> None:
    assert highlight("a < b", []) == "a &lt; b"


def test_highlight_skips_overlapping_findings() -> None:
    text = "最佳"
    overlapping = [Finding("title", "最佳", 0, 2), Finding("title", "最", 0, 1)]
    assert highlight(text, overlapping) == "<mark>最佳</mark>"


# --- Submitting for review ---------------------------------------------------------------


def product(*, auto: bool = False, **fields: object) -> Product:
    defaults = {
        "title": "桂花糕",
        "title_en": "Osmanthus cake",
        "description": "手工制作",
        "description_en": "Handmade",
        "status": Product.Status.DRAFT,
    }
    item = ProductFactory(
        merchant=MerchantFactory(auto_list_clean_products=auto), **{**defaults, **fields}
    )
    SkuFactory(product=item)
    catalogue.product_search_index_refresh(products=[item])
    return item


def visible(item: Product) -> bool:
    return selectors.product_visible().filter(pk=item.pk).exists()


def test_a_clean_product_of_a_shop_that_allows_it_is_listed_at_once() -> None:
    item = product(auto=True)
    assert catalogue.product_submit(product=item) == []
    item.refresh_from_db()
    assert item.status == Product.Status.LISTED
    assert visible(item)
    assert [p.pk for p in selectors.product_listing(query="桂花糕")] == [item.pk]


def test_a_clean_product_waits_for_review_without_the_setting() -> None:
    item = product(auto=False)
    assert catalogue.product_submit(product=item) == []
    item.refresh_from_db()
    assert item.status == Product.Status.PENDING_REVIEW
    assert not visible(item)


@pytest.mark.parametrize("field", ["title", "title_en", "description", "description_en"])
def test_a_product_with_findings_waits_for_review_even_with_the_setting(field: str) -> None:
    item = product(auto=True, **{field: "No. 1 最佳"})
    findings = catalogue.product_submit(product=item)
    assert {(f.field, f.term) for f in findings} == {(field, "No. 1"), (field, "最佳")}
    item.refresh_from_db()
    assert item.status == Product.Status.PENDING_REVIEW
    assert not visible(item)


@pytest.mark.parametrize(
    "status", [Product.Status.DRAFT, Product.Status.REJECTED, Product.Status.DELISTED]
)
def test_drafts_rejected_and_delisted_products_can_be_submitted(status: str) -> None:
    item = product(status=status, review_note="旧的备注")
    catalogue.product_submit(product=item)
    item.refresh_from_db()
    assert (item.status, item.review_note) == (Product.Status.PENDING_REVIEW, "")


@pytest.mark.parametrize("status", [Product.Status.PENDING_REVIEW, Product.Status.LISTED])
def test_a_pending_or_listed_product_cannot_be_submitted_again(status: str) -> None:
    item = product(status=status)
    with pytest.raises(catalogue.ReviewError):
        catalogue.product_submit(product=item)
    assert Product.objects.get(pk=item.pk).status == status


def test_the_operator_approves_and_the_product_shows_in_the_storefront() -> None:
    item = product()
    catalogue.product_submit(product=item)
    catalogue.product_review(product=item, approve=True)
    assert item.status == Product.Status.LISTED
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(
        reverse("catalogue:product_detail", args=[item.pk])
    )
    assert page.status_code == 200 and "Osmanthus cake" in page.text
    assert [p.pk for p in selectors.product_listing(query="osmanthus")] == [item.pk]


def test_the_operator_rejects_with_a_note() -> None:
    item = product(title="最好的桂花糕")
    catalogue.product_submit(product=item)
    catalogue.product_review(product=item, approve=False, note="标题含“最好”，请修改")
    item.refresh_from_db()
    assert (item.status, item.review_note) == (Product.Status.REJECTED, "标题含“最好”，请修改")
    assert not visible(item)


def test_only_a_product_waiting_for_review_can_be_reviewed() -> None:
    item = product()
    with pytest.raises(catalogue.ReviewError):
        catalogue.product_review(product=item, approve=True)
    assert Product.objects.get(pk=item.pk).status == Product.Status.DRAFT


# --- Through the admin -----------------------------------------------------------------


def test_staff_submit_and_are_told_the_findings(client) -> None:
    clean = product(title="桂花糕")
    claims = product(title="最佳桂花糕", description_en="The best cake")
    claims.merchant = clean.merchant
    claims.save()
    client.force_login(merchant_user(clean.merchant))
    response = action(
        client,
        reverse("admin:catalogue_product_changelist"),
        "submit_for_review",
        [clean.pk, claims.pk],
    )
    shown = messages_of(client.get(response["Location"]))
    assert "桂花糕: clean, waiting for review." in shown
    assert (
        "最佳桂花糕: waiting for review; it contains claims an operator will check: The best, 最佳"
        in shown
    )
    again = action(
        client, reverse("admin:catalogue_product_changelist"), "submit_for_review", [clean.pk]
    )
    assert "桂花糕: already submitted or listed." in messages_of(client.get(again["Location"]))


def test_a_clean_submission_of_an_auto_listing_shop_says_it_is_listed(client) -> None:
    item = product(auto=True)
    client.force_login(merchant_user(item.merchant))
    response = action(
        client, reverse("admin:catalogue_product_changelist"), "submit_for_review", [item.pk]
    )
    assert "桂花糕: clean, listed now." in messages_of(client.get(response["Location"]))
    assert visible(item)


def test_the_operator_approves_in_the_admin(client, operator) -> None:
    item = product()
    catalogue.product_submit(product=item)
    client.force_login(operator)
    action(client, reverse("admin:catalogue_product_changelist"), "approve", [item.pk])
    item.refresh_from_db()
    assert item.status == Product.Status.LISTED
    assert visible(item)


def test_the_operator_writes_a_note_and_rejects_in_the_admin(client, operator) -> None:
    item = product(title="全网最低价")
    catalogue.product_submit(product=item)
    client.force_login(operator)
    url = reverse("admin:catalogue_product_change", args=[item.pk])
    data = change_form_data(client.get(url))
    data.update({"review_note": "请删除“全网最低价”", "_save": "Save"})
    assert client.post(url, data).status_code == 302
    action(client, reverse("admin:catalogue_product_changelist"), "reject", [item.pk])
    item.refresh_from_db()
    assert (item.status, item.review_note) == (Product.Status.REJECTED, "请删除“全网最低价”")


def test_the_change_page_shows_the_findings_highlighted(client, operator) -> None:
    item = product(title="<i>最佳</i>桂花糕", description_en="Simply the best.")
    client.force_login(operator)
    page = client.get(reverse("admin:catalogue_product_change", args=[item.pk]))
    assert page.status_code == 200
    assert "&lt;i&gt;<mark>最佳</mark>&lt;/i&gt;桂花糕" in page.text
    assert "Simply <mark>the best</mark>." in page.text
    assert "<i>最佳</i>" not in page.text


def test_the_merchant_sees_the_rejection_note_and_the_findings_on_their_product(client) -> None:
    item = product(title="最佳桂花糕")
    catalogue.product_submit(product=item)
    catalogue.product_review(product=item, approve=False, note="请删除“最佳”")
    client.force_login(merchant_user(item.merchant))
    page = client.get(reverse("admin:catalogue_product_change", args=[item.pk]))
    assert page.status_code == 200
    assert "请删除“最佳”" in page.text
    assert "<mark>最佳</mark>桂花糕" in page.text
    assert 'name="review_note"' not in page.text  # the note is the operator's to write
    assert 'name="featured"' not in page.text


def test_the_change_page_says_when_nothing_was_found(client, operator) -> None:
    item = product()
    client.force_login(operator)
    page = client.get(reverse("admin:catalogue_product_change", args=[item.pk]))
    assert "No banned claims found." in page.text
    assert "<mark>" not in page.text


def _edit(client: Client, item: Product, **copy: str):
    sku = item.skus.get()
    data = {
        "category": item.category.pk,
        "title": item.title,
        "title_en": item.title_en,
        "description": item.description,
        "description_en": item.description_en,
        **copy,
        **formset(
            "skus",
            [
                {
                    "id": sku.pk,
                    "product": item.pk,
                    "code": sku.code,
                    "attributes": "{}",
                    "price": "99.00",
                    "is_active": "on",
                    "position": 0,
                }
            ],
            initial=1,
        ),
        **formset("images", []),
    }
    item.merchant.categories.add(item.category)
    return client.post(reverse("admin:catalogue_product_change", args=[item.pk]), data)


@pytest.mark.parametrize("auto", [False, True])
def test_editing_a_listed_products_copy_puts_banned_claims_back_under_review(client, auto) -> None:
    item = product(status=Product.Status.LISTED, auto=auto)
    client.force_login(merchant_user(item.merchant))
    response = _edit(client, item, title="全网最低价 顶级桂花糕", title_en="The best cake")
    assert response.status_code == 302
    shown = messages_of(client.get(response["Location"]))
    assert (
        "The new text contains claims an operator must check: The best, 全网, 最低价, 顶级" in shown
    )
    item.refresh_from_db()
    assert (item.title, item.status) == ("全网最低价 顶级桂花糕", Product.Status.PENDING_REVIEW)
    assert not visible(item)


@pytest.mark.parametrize(
    ("auto", "status"), [(False, Product.Status.PENDING_REVIEW), (True, Product.Status.LISTED)]
)
def test_a_clean_edit_of_a_listed_product_follows_the_auto_listing_setting(
    client, auto, status
) -> None:
    item = product(status=Product.Status.LISTED, auto=auto)
    client.force_login(merchant_user(item.merchant))
    assert _edit(client, item, description="新鲜出炉").status_code == 302
    item.refresh_from_db()
    assert (item.description, item.status) == ("新鲜出炉", status)


def test_an_edit_that_leaves_the_copy_alone_keeps_the_product_listed(client) -> None:
    item = product(status=Product.Status.LISTED)
    client.force_login(merchant_user(item.merchant))
    assert _edit(client, item).status_code == 302
    assert Product.objects.get(pk=item.pk).status == Product.Status.LISTED


def test_an_operators_edit_does_not_send_a_listed_product_back(client, operator) -> None:
    item = product(status=Product.Status.LISTED)
    client.force_login(operator)
    url = reverse("admin:catalogue_product_change", args=[item.pk])
    data = change_form_data(client.get(url))
    data.update({"title": "桂花糕（新）", "_save": "Save"})
    assert client.post(url, data).status_code == 302
    assert Product.objects.get(pk=item.pk).status == Product.Status.LISTED


def test_staff_switch_on_auto_listing_from_their_shops_page(client) -> None:
    merchant = MerchantFactory(auto_list_clean_products=False)
    client.force_login(merchant_user(merchant))
    url = reverse("admin:merchants_merchant_change", args=[merchant.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = change_form_data(page)
    data.update({"auto_list_clean_products": "on", "_save": "Save"})
    assert client.post(url, data).status_code == 302
    merchant.refresh_from_db()
    assert merchant.auto_list_clean_products is True
