"""The product page in the admin: SKU options as fields, stock beside each SKU, and the
"Submit for review" button; the stock list's levels."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from shop.catalogue.models import Product, StockRecord
from tests.factories import MerchantFactory, ProductFactory, SkuFactory
from tests.merchants.world import merchant_user

pytestmark = pytest.mark.django_db


def _change_url(product: Product) -> str:
    return reverse("admin:catalogue_product_change", args=[product.pk])


def _owner_client(merchant) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(merchant_user(merchant))
    return client


def _post_data(client: Client, product: Product, **changes: str) -> dict:
    """The change form as the browser would send it back, with `changes` applied."""
    response = client.get(_change_url(product))
    data = {}
    for name, field in response.context["adminform"].form.fields.items():
        value = response.context["adminform"].form.initial.get(name, field.initial)
        if value is not None:
            data[name] = value.pk if hasattr(value, "pk") else value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data[f"{formset.prefix}-TOTAL_FORMS"] = formset.total_form_count()
        data[f"{formset.prefix}-INITIAL_FORMS"] = formset.initial_form_count()
        for form in formset.forms:
            for name, field in form.fields.items():
                value = form.initial.get(name, field.initial)
                if isinstance(value, bool):
                    if value:
                        data[form.add_prefix(name)] = "on"
                elif value is not None:
                    data[form.add_prefix(name)] = getattr(value, "pk", value)
    data.update(changes)
    return data


@pytest.fixture
def gift_box():
    merchant = MerchantFactory()
    product = ProductFactory(merchant=merchant, title="茶礼盒", status=Product.Status.DRAFT)
    sku = SkuFactory(product=product, attributes={"规格": "标准礼盒"}, stock=3)
    merchant.categories.add(product.category)
    return merchant, product, sku


def test_sku_options_are_shown_and_saved_as_name_and_value(gift_box) -> None:
    merchant, product, sku = gift_box
    client = _owner_client(merchant)
    page = client.get(_change_url(product)).text
    assert 'value="规格"' in page and 'value="标准礼盒"' in page
    response = client.post(
        _change_url(product),
        _post_data(client, product, **{"skus-0-attribute_value_0": "豪华礼盒"}),
    )
    assert response.status_code == 302
    sku.refresh_from_db()
    assert sku.attributes == {"规格": "豪华礼盒"}


def test_an_option_without_its_value_is_a_form_error(gift_box) -> None:
    merchant, product, sku = gift_box
    client = _owner_client(merchant)
    data = _post_data(client, product, **{"skus-0-attribute_value_0": ""})
    response = client.post(_change_url(product), data)
    assert response.status_code == 200
    assert "Give both the option&#x27;s name and its value, or neither." in response.text
    sku.refresh_from_db()
    assert sku.attributes == {"规格": "标准礼盒"}


def test_stock_is_set_beside_the_sku(gift_box) -> None:
    merchant, product, sku = gift_box
    client = _owner_client(merchant)
    response = client.post(
        _change_url(product), _post_data(client, product, **{"skus-0-stock": "40"})
    )
    assert response.status_code == 302
    assert StockRecord.objects.get(sku=sku).quantity == 40


def test_negative_stock_beside_the_sku_is_a_form_error(gift_box) -> None:
    merchant, product, sku = gift_box
    client = _owner_client(merchant)
    response = client.post(
        _change_url(product), _post_data(client, product, **{"skus-0-stock": "-1"})
    )
    assert response.status_code == 200
    assert "greater than or equal to 0" in response.text
    assert StockRecord.objects.get(sku=sku).quantity == 3


def test_low_stock_is_highlighted_beside_the_sku(gift_box) -> None:
    merchant, product, _sku = gift_box
    page = _owner_client(merchant).get(_change_url(product)).text
    [stock_input] = re.findall(r'<input[^>]*name="skus-0-stock"[^>]*>', page)
    assert "stock-low" in stock_input


def test_a_new_sku_says_its_stock_starts_at_zero(gift_box) -> None:
    merchant, _product, _sku = gift_box
    page = _owner_client(merchant).get(reverse("admin:catalogue_product_add")).text
    assert "A new SKU starts at 0: set its stock here." in page


def test_the_product_page_submits_for_review_and_shows_the_status(gift_box) -> None:
    merchant, product, _sku = gift_box
    client = _owner_client(merchant)
    page = client.get(_change_url(product)).text
    assert 'name="_submit_for_review"' in page and "Draft" in page
    data = _post_data(client, product, _submit_for_review="1")
    response = client.post(_change_url(product), data, follow=True)
    product.refresh_from_db()
    assert product.status == Product.Status.PENDING_REVIEW
    assert "茶礼盒: clean, waiting for review." in response.text
    assert 'name="_submit_for_review"' not in response.text
    assert "Pending review" in response.text


def test_another_shops_product_page_cannot_be_submitted(gift_box) -> None:
    _merchant, product, _sku = gift_box
    other = _owner_client(MerchantFactory())
    response = other.post(_change_url(product), {"_submit_for_review": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    product.refresh_from_db()
    assert product.status == Product.Status.DRAFT


def test_the_stock_list_shows_low_and_empty_levels(gift_box) -> None:
    merchant, product, _sku = gift_box
    SkuFactory(product=product, stock=0)
    SkuFactory(product=product, stock=50)
    page = _owner_client(merchant).get(reverse("admin:catalogue_stockrecord_changelist")).text
    assert page.count("stock-badge stock-low") == 1
    assert page.count("stock-badge stock-out") == 1


def test_negative_stock_in_the_stock_list_is_a_form_error(gift_box) -> None:
    merchant, _product, sku = gift_box
    record = StockRecord.objects.get(sku=sku)
    client = _owner_client(merchant)
    response = client.post(
        reverse("admin:catalogue_stockrecord_changelist"),
        {
            "form-TOTAL_FORMS": 1,
            "form-INITIAL_FORMS": 1,
            "form-0-id": record.pk,
            "form-0-quantity": "-5",
            "_save": "Save",
        },
    )
    assert response.status_code == 200
    record.refresh_from_db()
    assert record.quantity == 3
