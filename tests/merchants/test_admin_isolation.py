"""A merchant's staff see and change only their own shop in the admin.

Two shops, A and B, each with an owner and a colleague, listed and draft products, SKUs,
stock records, photos, paid orders and a refund request. Logged in as A's owner, every
admin page a merchant can reach is checked against B's rows: lists, change views by
guessed id, change POSTs, delete views, bulk actions, exports, autocomplete, form choices,
the shipping page, and the platform's own models.
"""

import csv
import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from gifting.models import Gift
from merchants.models import AddressAccessLog, MerchantApplication, MerchantStaff
from shop.accounts.models import User
from shop.catalogue.models import Category, Product, Sku, StockRecord
from shop.core import jobs
from shop.orders import services as orders
from shop.orders.models import Order, RefundRequest
from shop.partners import services as partner_services
from shop.partners.models import ApiKey, BalanceEntry, WebhookDelivery
from shop.payments import services as payments
from shop.payments.models import Payment, PaymentNotification, Refund
from shop.sandbox.models import SandboxCharge, SandboxMode, SandboxNotification, SandboxRefund
from shop.webhooks import outbox
from tests import sandbox
from tests.factories import CategoryFactory, UserFactory
from tests.gifts import live_gift
from tests.merchants.adminforms import action, formset, messages_of
from tests.merchants.world import Shop
from tests.partners import partner_with_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_a(client: Client, shop_a: Shop, shop_b: Shop) -> Client:
    """The client logged in as A's owner (B exists too)."""
    client.force_login(shop_a.owner)
    return client


@pytest.fixture
def lenient(shop_a: Shop, shop_b: Shop) -> Client:
    """A's owner on a client that turns server errors into 500 responses, for checks that
    only care that nothing of B's changed whatever the page does."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_login(shop_a.owner)
    return client


@dataclass(frozen=True)
class Scoped:
    """A merchant-owned model in the admin, and how to find a shop's row of it."""

    url_name: str
    row: str  # attribute of Shop
    markers: tuple[str, ...]  # format strings with {key}: text only that shop's row shows

    def obj(self, shop: Shop) -> object:
        return getattr(shop, self.row)

    def texts(self, shop: Shop) -> list[str]:
        return [m.format(key=shop.key, s=shop) for m in self.markers]


PRODUCT = Scoped("catalogue_product", "product", ("商品{key}",))
STOCK = Scoped("catalogue_stockrecord", "stock", ("商品{key}",))
ORDER = Scoped("orders_order", "order", ("{s.order.number}",))
REFUND_REQUEST = Scoped("orders_refundrequest", "refund_request", ("damaged {key}",))
STAFF = Scoped("merchants_merchantstaff", "owner_staff", ("{s.owner.name}",))
MERCHANT = Scoped("merchants_merchant", "merchant", ("店铺{key}",))

REACHABLE = [PRODUCT, STOCK, ORDER, REFUND_REQUEST, STAFF, MERCHANT]


def ids_of(response: object) -> set:
    return {obj.pk for obj in response.context["cl"].result_list}


# --- (a) changelists --------------------------------------------------------------------


@pytest.mark.parametrize("model", REACHABLE, ids=lambda m: m.url_name)
def test_a_changelist_shows_only_the_shops_own_rows(as_a, shop_a, shop_b, model) -> None:
    response = as_a.get(reverse(f"admin:{model.url_name}_changelist"))
    assert response.status_code == 200
    every = set(response.context["cl"].model._default_manager.values_list("pk", flat=True))
    assert model.obj(shop_a).pk in ids_of(response)
    assert model.obj(shop_b).pk not in ids_of(response)
    assert ids_of(response) < every  # B's rows exist but are hidden
    for text in model.texts(shop_b):
        assert text not in response.text
    for text in model.texts(shop_a):
        assert text in response.text


@pytest.mark.parametrize("model", REACHABLE, ids=lambda m: m.url_name)
def test_a_search_for_the_other_shops_rows_finds_nothing(as_a, shop_b, model) -> None:
    term = {
        "catalogue_product": "商品B",
        "catalogue_stockrecord": "SKU-B",
        "orders_order": shop_b.order.number,
        "orders_refundrequest": "damaged B",
        "merchants_merchantstaff": shop_b.owner.email,
        "merchants_merchant": "店铺B",
    }[model.url_name]
    response = as_a.get(reverse(f"admin:{model.url_name}_changelist"), {"q": term})
    assert response.status_code == 200
    assert ids_of(response) == set()


def test_the_order_and_product_lists_each_shop_sees_are_exactly_its_own(
    client, shop_a, shop_b
) -> None:
    for shop in (shop_a, shop_b):
        client.force_login(shop.owner)
        orders_page = client.get(reverse("admin:orders_order_changelist"))
        assert ids_of(orders_page) == {shop.order.pk, shop.refunded_order.pk}
        products = client.get(reverse("admin:catalogue_product_changelist"))
        assert ids_of(products) == {shop.product.pk, shop.draft.pk}
        staff = client.get(reverse("admin:merchants_merchantstaff_changelist"))
        assert ids_of(staff) == {shop.owner_staff.pk, shop.colleague.pk}
        refunds = client.get(reverse("admin:orders_refundrequest_changelist"))
        assert ids_of(refunds) == {shop.refund_request.pk}


def test_operators_see_every_shops_rows(client, operator, shop_a, shop_b) -> None:
    client.force_login(operator)
    for model in (PRODUCT, STOCK, ORDER, REFUND_REQUEST, STAFF, MERCHANT):
        response = client.get(reverse(f"admin:{model.url_name}_changelist"))
        assert response.status_code == 200
        assert {model.obj(shop_a).pk, model.obj(shop_b).pk} <= ids_of(response)
        change = client.get(reverse(f"admin:{model.url_name}_change", args=[model.obj(shop_b).pk]))
        assert change.status_code == 200


def test_lists_mask_names_and_phones(as_a, shop_a) -> None:
    response = as_a.get(reverse("admin:orders_order_changelist"))
    assert "张*" in response.text
    assert "138****0000" in response.text
    assert "13800000000" not in response.text
    assert "张三" not in response.text
    assert "文三路" not in response.text  # no street in lists
    change = as_a.get(reverse("admin:orders_order_change", args=[shop_a.order.pk]))
    assert change.status_code == 200
    assert "138****0000" in change.text
    assert "13800000000" not in change.text and "文三路" not in change.text


def test_operators_lists_are_masked_too(client, operator, shop_a) -> None:
    client.force_login(operator)
    response = client.get(reverse("admin:orders_order_changelist"))
    assert "138****0000" in response.text
    assert "13800000000" not in response.text


# --- (b) change views by guessed id ---------------------------------------------------


@pytest.mark.parametrize("model", REACHABLE, ids=lambda m: m.url_name)
@pytest.mark.parametrize("view", ["change", "history"])
def test_the_other_shops_object_by_id_is_not_shown(as_a, shop_b, model, view) -> None:
    url = reverse(f"admin:{model.url_name}_{view}", args=[model.obj(shop_b).pk])
    response = as_a.get(url)
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        assert response["Location"] == reverse("admin:index")
        index = as_a.get(response["Location"])
        assert any("doesn’t exist" in m for m in messages_of(index))
        response = index
    for text in model.texts(shop_b):
        assert text not in response.text


def test_own_objects_open(as_a, shop_a) -> None:
    for model in (STOCK, ORDER, REFUND_REQUEST, STAFF):
        url = reverse(f"admin:{model.url_name}_change", args=[model.obj(shop_a).pk])
        assert as_a.get(url).status_code == 200


def test_staff_open_their_own_shops_page(as_a, shop_a, shop_b) -> None:
    response = as_a.get(reverse("admin:merchants_merchant_change", args=[shop_a.merchant.pk]))
    assert response.status_code == 200
    assert "店铺A" in response.text and "店铺B" not in response.text


# --- (c) change POSTs -------------------------------------------------------------------


def _snapshot(shop: Shop) -> dict:
    """Everything of a shop's that A's owner might try to change."""
    return {
        "product": Product.objects.filter(pk=shop.product.pk).values().get(),
        "draft": Product.objects.filter(pk=shop.draft.pk).values().get(),
        "skus": list(Sku.objects.filter(product__merchant=shop.merchant).values().order_by("pk")),
        "stock": list(
            StockRecord.objects.filter(sku__product__merchant=shop.merchant)
            .values("pk", "quantity")
            .order_by("pk")
        ),
        "orders": list(
            Order.objects.filter(merchant=shop.merchant)
            .values("pk", "status", "carrier", "tracking_number", "refunded_amount")
            .order_by("pk")
        ),
        "refund_requests": list(
            RefundRequest.objects.filter(order__merchant=shop.merchant)
            .values("pk", "status", "decision_note")
            .order_by("pk")
        ),
        "staff": list(
            MerchantStaff.objects.filter(merchant=shop.merchant)
            .values("pk", "user_id", "role")
            .order_by("pk")
        ),
        "merchant": type(shop.merchant).objects.filter(pk=shop.merchant.pk).values().get(),
        "images": list(shop.product.images.values().order_by("pk")),
    }


CHANGE_POSTS = {
    "catalogue_product": {
        "title": "被改了",
        "category": "{a.category.pk}",
        "description": "",
        **formset("skus", []),
        **formset("images", []),
    },
    "catalogue_stockrecord": {"quantity": "0"},
    "orders_order": {"_save": "Save"},
    "orders_refundrequest": {"decision_note": "被改了"},
    "merchants_merchantstaff": {"role": "staff"},
    "merchants_merchant": {"auto_list_clean_products": "on"},
}


@pytest.mark.parametrize("model", REACHABLE, ids=lambda m: m.url_name)
def test_posting_a_change_to_the_other_shops_object_changes_nothing(
    lenient, shop_a, shop_b, model
) -> None:
    before = _snapshot(shop_b)
    data = {
        k: v.format(a=shop_a) if isinstance(v, str) else v
        for k, v in CHANGE_POSTS[model.url_name].items()
    }
    response = lenient.post(
        reverse(f"admin:{model.url_name}_change", args=[model.obj(shop_b).pk]), data
    )
    assert response.status_code in (302, 403, 404)
    if response.status_code == 302:
        assert response["Location"] == reverse("admin:index")
    assert _snapshot(shop_b) == before


def test_the_sku_and_photo_inlines_cannot_reach_the_other_shops_rows(
    lenient, shop_a, shop_b
) -> None:
    """A's product form posted with B's SKU and photo ids in its inline formsets."""
    before = _snapshot(shop_b)
    b_sku = shop_b.sku
    data = {
        "category": shop_a.category.pk,
        "title": "商品A",
        "title_en": "Product A",
        "description": "",
        "description_en": "",
        **formset(
            "skus",
            [
                {
                    "id": b_sku.pk,
                    "product": shop_a.product.pk,
                    "code": "STOLEN",
                    "attributes": "{}",
                    "price": "1.00",
                    "is_active": "on",
                    "position": 0,
                }
            ],
            initial=1,
        ),
        **formset(
            "images",
            [{"id": shop_b.image.pk, "product": shop_a.product.pk, "alt": "stolen", "position": 0}],
            initial=1,
        ),
    }
    lenient.post(reverse("admin:catalogue_product_change", args=[shop_a.product.pk]), data)
    assert _snapshot(shop_b) == before
    assert not Sku.objects.filter(code="STOLEN").exists()


def test_list_editable_stock_cannot_change_the_other_shops_stock(as_a, shop_a, shop_b) -> None:
    url = reverse("admin:catalogue_stockrecord_changelist")
    page = as_a.get(url)
    assert page.context["cl"].formset is not None
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": shop_b.stock.pk,
        "form-0-quantity": "0",
        "_save": "Save",
    }
    as_a.post(url, data)
    assert StockRecord.objects.get(pk=shop_b.stock.pk).quantity == shop_b.stock.quantity
    data["form-0-id"] = shop_a.stock.pk
    data["form-0-quantity"] = "7"
    assert as_a.post(url, data).status_code == 302
    assert StockRecord.objects.get(pk=shop_a.stock.pk).quantity == 7  # the control


# --- (d) delete views -------------------------------------------------------------------


@pytest.mark.parametrize("model", REACHABLE, ids=lambda m: m.url_name)
def test_the_other_shops_object_cannot_be_deleted(lenient, shop_b, model) -> None:
    obj = model.obj(shop_b)
    url = reverse(f"admin:{model.url_name}_delete", args=[obj.pk])
    get = lenient.get(url)
    assert get.status_code in (302, 403, 404)
    post = lenient.post(url, {"post": "yes"})
    assert post.status_code in (302, 403, 404)
    if post.status_code == 302:
        assert post["Location"] == reverse("admin:index")
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_merchant_staff_cannot_delete_products_orders_or_refund_requests(as_a, shop_a) -> None:
    for model in (PRODUCT, ORDER, REFUND_REQUEST):
        obj = model.obj(shop_a)
        response = as_a.post(
            reverse(f"admin:{model.url_name}_delete", args=[obj.pk]), {"post": "yes"}
        )
        assert response.status_code == 403
        assert type(obj).objects.filter(pk=obj.pk).exists()


# --- (e) bulk actions -------------------------------------------------------------------


def test_delete_selected_of_the_other_shops_staff_deletes_nothing(as_a, shop_a, shop_b) -> None:
    url = reverse("admin:merchants_merchantstaff_changelist")
    ids = [shop_b.owner_staff.pk, shop_b.colleague.pk]
    confirm = action(as_a, url, "delete_selected", ids)
    assert shop_b.owner.name not in confirm.text
    action(as_a, url, "delete_selected", ids, post="yes")
    assert MerchantStaff.objects.filter(merchant=shop_b.merchant).count() == 2


def test_product_delete_selected_is_not_offered_to_merchant_staff(as_a, shop_a, shop_b) -> None:
    url = reverse("admin:catalogue_product_changelist")
    page = as_a.get(url)
    offered = {name for name, _ in page.context["action_form"].fields["action"].choices}
    assert {"submit_for_review", "delist"} <= offered
    assert not {"delete_selected", "approve", "reject"} & offered
    action(as_a, url, "delete_selected", [shop_a.product.pk, shop_b.product.pk], post="yes")
    assert Product.objects.filter(pk__in=[shop_a.product.pk, shop_b.product.pk]).count() == 2


def test_submit_for_review_and_delist_touch_only_the_shops_own_products(
    as_a, shop_a, shop_b
) -> None:
    before = _snapshot(shop_b)
    url = reverse("admin:catalogue_product_changelist")
    action(as_a, url, "submit_for_review", [shop_a.draft.pk, shop_b.draft.pk])
    action(as_a, url, "delist", [shop_b.product.pk])
    assert _snapshot(shop_b) == before
    assert Product.objects.get(pk=shop_a.draft.pk).status == Product.Status.PENDING_REVIEW


def test_operator_only_product_actions_are_refused_to_merchant_staff(as_a, shop_a) -> None:
    Product.objects.filter(pk=shop_a.draft.pk).update(status=Product.Status.PENDING_REVIEW)
    url = reverse("admin:catalogue_product_changelist")
    for name in ("approve", "reject"):
        action(as_a, url, name, [shop_a.draft.pk])
    assert Product.objects.get(pk=shop_a.draft.pk).status == Product.Status.PENDING_REVIEW


def test_ship_selected_lists_and_ships_only_the_shops_own_orders(as_a, shop_a, shop_b) -> None:
    url = reverse("admin:orders_order_changelist")
    ids = [shop_a.order.pk, shop_b.order.pk]
    page = action(as_a, url, "ship_selected", ids)
    assert page.status_code == 200
    assert [o.pk for o in page.context["orders"]] == [shop_a.order.pk]
    assert shop_b.order.number not in page.text
    action(
        as_a,
        url,
        "ship_selected",
        ids,
        apply="1",
        **{
            f"carrier-{shop_a.order.pk}": "顺丰速运",
            f"tracking-{shop_a.order.pk}": "SFA1",
            f"carrier-{shop_b.order.pk}": "顺丰速运",
            f"tracking-{shop_b.order.pk}": "SFB1",
        },
    )
    assert Order.objects.get(pk=shop_b.order.pk).status == Order.Status.PAID
    assert Order.objects.get(pk=shop_b.order.pk).tracking_number == ""
    assert Order.objects.get(pk=shop_a.order.pk).status == Order.Status.SHIPPED


def test_mark_delivered_touches_only_the_shops_own_orders(as_a, shop_a, shop_b) -> None:
    orders.order_ship(order=shop_b.order, carrier="中通快递", tracking_number="ZTOB")
    orders.order_ship(order=shop_a.order, carrier="中通快递", tracking_number="ZTOA")
    action(
        as_a,
        reverse("admin:orders_order_changelist"),
        "mark_delivered",
        [shop_a.order.pk, shop_b.order.pk],
    )
    assert Order.objects.get(pk=shop_b.order.pk).status == Order.Status.SHIPPED
    assert Order.objects.get(pk=shop_a.order.pk).status == Order.Status.COMPLETED


def _csv_rows(response: object) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_export_csv_exports_none_of_the_other_shops_orders(as_a, shop_a, shop_b) -> None:
    url = reverse("admin:orders_order_changelist")
    chosen = _csv_rows(action(as_a, url, "export_csv", [shop_a.order.pk, shop_b.order.pk]))
    assert [r["number"] for r in chosen] == [shop_a.order.number]
    everything = _csv_rows(action(as_a, url, "export_csv", [shop_a.order.pk], select_across="1"))
    assert {r["number"] for r in everything} == {shop_a.order.number, shop_a.refunded_order.number}
    only_b = action(as_a, url, "export_csv", [shop_b.order.pk, shop_b.refunded_order.pk])
    if only_b["Content-Type"].startswith("text/csv"):
        assert _csv_rows(only_b) == []
    for row in everything:
        assert row["merchant"] == shop_a.merchant.name
        assert row["phone"] == "138****0000" and row["recipient"] == "张*"
        assert "文三路" not in ",".join(row.values())


def test_refund_request_actions_touch_only_the_shops_own_requests(
    as_a, shop_a, shop_b, django_capture_on_commit_callbacks
) -> None:
    url = reverse("admin:orders_refundrequest_changelist")
    with django_capture_on_commit_callbacks(execute=False):
        action(as_a, url, "refuse", [shop_b.refund_request.pk])
        action(as_a, url, "approve", [shop_a.refund_request.pk, shop_b.refund_request.pk])
    assert RefundRequest.objects.get(pk=shop_b.refund_request.pk).status == "requested"
    assert not Refund.objects.filter(payment=shop_b.refunded_order.payment).exists()
    assert RefundRequest.objects.get(pk=shop_a.refund_request.pk).status == "approved"


def test_cancel_unpaid_is_an_operator_action(as_a, shop_a, shop_b) -> None:
    page = as_a.get(reverse("admin:orders_order_changelist"))
    offered = {name for name, _ in page.context["action_form"].fields["action"].choices}
    assert {"ship_selected", "mark_delivered", "export_csv"} <= offered
    assert "cancel_unpaid" not in offered


# --- (f) autocomplete -------------------------------------------------------------------


def _autocomplete(client: Client, app: str, model: str, field: str, term: str = ""):
    return client.get(
        reverse("admin:autocomplete"),
        {"app_label": app, "model_name": model, "field_name": field, "term": term},
    )


@pytest.mark.parametrize(
    ("app", "model", "field"),
    [
        ("orders", "refundrequest", "order"),
        ("orders", "orderline", "order"),
        ("gifting", "giftclaim", "order"),
        pytest.param(
            "catalogue",
            "sku",
            "product",
            marks=pytest.mark.filterwarnings(
                "ignore::django.core.paginator.UnorderedObjectListWarning"
            ),
        ),
    ],
)
def test_autocomplete_returns_none_of_the_other_shops_rows(
    as_a, shop_a, shop_b, app, model, field
) -> None:
    response = _autocomplete(as_a, app, model, field)
    assert response.status_code == 200
    found = {int(r["id"]) for r in json.loads(response.content)["results"]}
    mine = {
        "order": {shop_a.order.pk, shop_a.refunded_order.pk},
        "product": {shop_a.product.pk, shop_a.draft.pk},
    }[field]
    theirs = {
        "order": {shop_b.order.pk, shop_b.refunded_order.pk},
        "product": {shop_b.product.pk, shop_b.draft.pk},
    }[field]
    assert found == mine
    assert not found & theirs
    searched = _autocomplete(as_a, app, model, field, term=shop_b.order.number)
    assert json.loads(searched.content)["results"] == []


@pytest.mark.parametrize(
    ("app", "model", "field"),
    [("catalogue", "product", "merchant"), ("merchants", "merchantstaff", "merchant")],
)
def test_merchant_autocomplete_offers_only_the_shop_itself(
    as_a, shop_a, shop_b, app, model, field
) -> None:
    response = _autocomplete(as_a, app, model, field)
    assert response.status_code == 200
    found = {int(r["id"]) for r in json.loads(response.content)["results"]}
    assert found == {shop_a.merchant.pk}


@pytest.mark.parametrize(
    ("app", "model", "field"),
    [
        ("catalogue", "product", "category"),
        ("merchants", "merchantstaff", "user"),
        ("orders", "order", "user"),
        ("orders", "order", "payment"),
        ("gifting", "giftclaim", "gift"),
        ("catalogue", "stockrecord", "sku"),
    ],
)
def test_autocomplete_of_platform_models_is_refused(as_a, app, model, field) -> None:
    response = _autocomplete(as_a, app, model, field)
    assert response.status_code == 403


# --- (g) form choices and forged POSTs ------------------------------------------------


def test_the_product_add_form_offers_only_the_shops_allowed_categories(
    as_a, shop_a, shop_b
) -> None:
    forbidden = CategoryFactory(name="禁售", name_en="Forbidden")
    response = as_a.get(reverse("admin:catalogue_product_add"))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert set(form.fields["category"].queryset) == {shop_a.category}
    assert "merchant" not in form.fields
    assert forbidden.name not in response.text


def test_merchant_staff_open_their_own_product(as_a, shop_a) -> None:
    response = as_a.get(reverse("admin:catalogue_product_change", args=[shop_a.product.pk]))
    assert response.status_code == 200
    assert "商品A" in response.text


def _new_product(category: Category, **changes: object) -> dict:
    return {
        "category": category.pk,
        "title": "新品",
        "title_en": "New thing",
        "description": "",
        "description_en": "",
        **formset(
            "skus",
            [
                {
                    "code": "NEW-1",
                    "attributes": "{}",
                    "price": "9.90",
                    "is_active": "on",
                    "position": 0,
                }
            ],
        ),
        **formset("images", []),
        **changes,
    }


def test_a_product_posted_with_the_other_shops_merchant_is_stamped_with_the_own_shop(
    as_a, shop_a, shop_b
) -> None:
    response = as_a.post(
        reverse("admin:catalogue_product_add"),
        _new_product(shop_a.category, merchant=shop_b.merchant.pk, status="listed"),
    )
    assert response.status_code == 302
    product = Product.objects.get(title="新品")
    assert product.merchant == shop_a.merchant
    assert product.status == Product.Status.DRAFT  # status is not the merchant's to set
    assert product.skus.get().code == "NEW-1"
    assert StockRecord.objects.filter(sku__product=product).exists()


def test_a_product_in_a_category_the_shop_may_not_sell_in_is_refused(
    lenient, shop_a, shop_b
) -> None:
    forbidden = CategoryFactory()
    for category in (forbidden, shop_b.category):
        lenient.post(reverse("admin:catalogue_product_add"), _new_product(category))
        lenient.post(
            reverse("admin:catalogue_product_change", args=[shop_a.product.pk]),
            _new_product(category),
        )
    assert not Product.objects.filter(title="新品").exists()
    assert Product.objects.get(pk=shop_a.product.pk).category == shop_a.category


def test_a_refused_category_is_explained_on_the_form(as_a, shop_a) -> None:
    response = as_a.post(reverse("admin:catalogue_product_add"), _new_product(CategoryFactory()))
    assert response.status_code == 200
    assert "category" in response.context["adminform"].form.errors


def test_adding_staff_ignores_a_posted_merchant(as_a, shop_a, shop_b) -> None:
    page = as_a.get(reverse("admin:merchants_merchantstaff_add"))
    assert "merchant" not in page.context["adminform"].form.fields
    response = as_a.post(
        reverse("admin:merchants_merchantstaff_add"),
        {"email": "helper@example.com", "name": "小帮手", "merchant": shop_b.merchant.pk},
    )
    assert response.status_code == 302
    staff = MerchantStaff.objects.get(user__email="helper@example.com")
    assert (staff.merchant, staff.role) == (shop_a.merchant, MerchantStaff.Role.STAFF)
    assert staff.user.is_staff and staff.user.groups.filter(name="merchant staff").exists()


def test_adding_another_shops_staff_member_is_refused_with_a_message(as_a, shop_a, shop_b) -> None:
    response = as_a.post(
        reverse("admin:merchants_merchantstaff_add"), {"email": shop_b.owner.email, "name": ""}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "This person already works for another shop."
    ]
    assert shop_b.owner.merchant_staff.merchant == shop_b.merchant
    assert not MerchantStaff.objects.filter(merchant=shop_a.merchant, user=shop_b.owner).exists()


def test_re_adding_an_own_colleague_does_not_claim_they_work_elsewhere(as_a, shop_a) -> None:
    response = as_a.post(
        reverse("admin:merchants_merchantstaff_add"),
        {"email": shop_a.colleague.user.email, "name": ""},
    )
    errors = response.context["adminform"].form.errors if response.context else {}
    assert "This person already works for another shop." not in errors.get("email", [])
    assert MerchantStaff.objects.filter(user=shop_a.colleague.user).count() == 1
    assert MerchantStaff.objects.get(user=shop_a.colleague.user).merchant == shop_a.merchant


def test_another_shops_staff_member_stays_with_their_shop(lenient, shop_a, shop_b) -> None:
    lenient.post(
        reverse("admin:merchants_merchantstaff_add"), {"email": shop_b.owner.email, "name": ""}
    )
    assert MerchantStaff.objects.get(user=shop_b.owner).merchant == shop_b.merchant


# --- Removing staff and capturing accounts ---------------------------------------------


def test_an_owner_who_deletes_their_own_staff_record_sees_no_other_shop(
    as_a, shop_a, shop_b
) -> None:
    """Regression: a user taken off a shop used to count as a platform operator."""
    as_a.post(
        reverse("admin:merchants_merchantstaff_delete", args=[shop_a.owner_staff.pk]),
        {"post": "yes"},
    )
    assert not MerchantStaff.objects.filter(pk=shop_a.owner_staff.pk).exists()
    response = as_a.get(reverse("admin:orders_order_changelist"))
    assert shop_b.order.number not in response.text
    assert as_a.get(reverse("admin:orders_order_shipping", args=[shop_b.order.pk])).status_code in (
        302,
        403,
        404,
    )
    assert not AddressAccessLog.objects.filter(order=shop_b.order).exists()


def test_a_removed_colleague_sees_no_shop_at_all(client, as_a, shop_a, shop_b) -> None:
    as_a.post(
        reverse("admin:merchants_merchantstaff_delete", args=[shop_a.colleague.pk]),
        {"post": "yes"},
    )
    assert not MerchantStaff.objects.filter(pk=shop_a.colleague.pk).exists()
    user = User.objects.get(pk=shop_a.colleague.user_id)
    assert not user.is_staff
    assert not user.groups.filter(name="merchant staff").exists()
    former = Client(HTTP_ACCEPT_LANGUAGE="en")
    former.force_login(user)
    for url in (
        reverse("admin:orders_order_changelist"),
        reverse("admin:orders_order_shipping", args=[shop_b.order.pk]),
        reverse("admin:orders_order_shipping", args=[shop_a.order.pk]),
    ):
        response = former.get(url)
        assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    assert not AddressAccessLog.objects.exists()


def test_removing_staff_in_bulk_takes_their_admin_access_too(as_a, shop_a) -> None:
    action(
        as_a,
        reverse("admin:merchants_merchantstaff_changelist"),
        "delete_selected",
        [shop_a.colleague.pk],
        post="yes",
    )
    user = User.objects.get(pk=shop_a.colleague.user_id)
    assert not MerchantStaff.objects.filter(user=user).exists()
    assert not user.is_staff


@pytest.mark.parametrize("kind", ["operator-group", "superuser"])
def test_an_owner_cannot_enrol_a_platform_operator_as_a_colleague(as_a, shop_a, kind) -> None:
    support = UserFactory(
        email="support@example.com", is_staff=True, is_superuser=kind == "superuser"
    )
    if kind == "operator-group":
        support.groups.add(Group.objects.get_or_create(name="platform operators")[0])
    response = as_a.post(
        reverse("admin:merchants_merchantstaff_add"), {"email": support.email, "name": ""}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["email"] == [
        "A platform operator's account cannot join a shop."
    ]
    assert not MerchantStaff.objects.filter(user=support).exists()


def test_an_operator_in_the_operators_group_sees_every_shop(client, shop_a, shop_b) -> None:
    support = UserFactory(is_staff=True)
    support.groups.add(Group.objects.get_or_create(name="platform operators")[0])
    support.user_permissions.add(*Group.objects.get(name="merchant staff").permissions.all())
    client.force_login(support)
    response = client.get(reverse("admin:orders_order_changelist"))
    assert {shop_a.order.pk, shop_b.order.pk} <= ids_of(response)


def test_staff_without_a_shop_or_the_operators_group_see_nothing(client, shop_a) -> None:
    """Being staff with no shop no longer makes anyone an operator."""
    stray = UserFactory(is_staff=True)
    stray.groups.add(Group.objects.get(name="merchant staff"))
    client.force_login(stray)
    response = client.get(reverse("admin:orders_order_changelist"))
    assert response.status_code == 200
    assert ids_of(response) == set()
    assert (
        client.get(reverse("admin:orders_order_shipping", args=[shop_a.order.pk])).status_code
        == 404
    )


def test_a_new_colleague_receives_a_link_to_set_a_password(
    as_a, shop_a, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        as_a.post(
            reverse("admin:merchants_merchantstaff_add"),
            {"email": "newbie@example.com", "name": "新人"},
        )
    assert [m.to for m in mailoutbox] == [["newbie@example.com"]]
    found = re.search(r"https?://\S+/account/password-reset/\S+/\S+/", mailoutbox[0].body)
    assert found and shop_a.merchant.name in mailoutbox[0].body
    newbie = Client(HTTP_ACCEPT_LANGUAGE="en")
    page = newbie.get(urlsplit(found.group(0)).path, follow=True)
    assert page.context["validlink"] is True
    password = "Newbie-Pass-2024!"
    newbie.post(page.redirect_chain[-1][0], {"new_password1": password, "new_password2": password})
    assert (
        newbie.post(
            reverse("admin:login"),
            {"username": "newbie@example.com", "password": password, "next": "/admin/"},
        )["Location"]
        == "/admin/"
    )
    staff_page = newbie.get(reverse("admin:orders_order_changelist"))
    assert ids_of(staff_page) == {shop_a.order.pk, shop_a.refunded_order.pk}


def test_a_colleague_who_lost_the_link_can_ask_for_a_new_one(
    as_a, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        as_a.post(
            reverse("admin:merchants_merchantstaff_add"),
            {"email": "newbie@example.com", "name": "新人"},
        )
        Client().post(reverse("accounts:password_reset"), {"email": "newbie@example.com"})
    assert [m.to for m in mailoutbox] == [["newbie@example.com"], ["newbie@example.com"]]


# --- (h) platform models -----------------------------------------------------------------


def _platform_objects(client: Client, shop_b: Shop) -> dict[str, object]:
    """One row of every platform model, so change views have a real id to try."""
    payments.refund_execute(
        refund_id=orders.refund_request_approve(request=shop_b.refund_request).pk
    )
    sandbox.deliver(client)
    sandbox.set_mode(decline_payments=False)
    gift = live_gift(client)
    application = MerchantApplication.objects.create(
        legal_name="某公司",
        shop_name="某店",
        uscc="91110000600037341L",
        contact_name="赵六",
        contact_phone="13700000000",
        email="apply@example.com",
    )
    log = AddressAccessLog.objects.create(user=shop_b.owner, order=shop_b.order)
    partner, _key = partner_with_key("Brand", balance="100.00", merchants=[shop_b.merchant])
    endpoint = partner_services.webhook_endpoint_create(
        partner=partner, url="https://example.com/hooks", events=["order.paid"]
    )
    (event,) = outbox.emit([(partner.pk, "order.paid", {"id": "ord_1"})])
    parked = jobs.failed("gifting.expire", gift.pk, "RefundError: refused", park=True)
    return {
        "core_jobitem": parked,
        "partners_partner": partner,
        "partners_apikey": ApiKey.objects.get(partner=partner),
        "partners_balanceentry": BalanceEntry.objects.get(partner=partner),
        "partners_webhookendpoint": endpoint,
        "partners_webhookevent": event,
        "partners_webhookdelivery": WebhookDelivery.objects.get(event=event),
        "catalogue_category": shop_b.category,
        "payments_payment": Payment.objects.first(),
        "payments_refund": Refund.objects.first(),
        "payments_paymentnotification": PaymentNotification.objects.first(),
        "sandbox_sandboxmode": SandboxMode.objects.first(),
        "sandbox_sandboxcharge": SandboxCharge.objects.first(),
        "sandbox_sandboxrefund": SandboxRefund.objects.first(),
        "sandbox_sandboxnotification": SandboxNotification.objects.first(),
        "gifting_gift": gift,
        "accounts_user": shop_b.owner,
        "auth_group": Group.objects.get(name="merchant staff"),
        "merchants_merchantapplication": application,
        "merchants_addressaccesslog": log,
    }


def test_platform_models_are_unreachable_for_merchant_staff(client, shop_a, shop_b) -> None:
    objects = _platform_objects(client, shop_b)
    assert all(obj is not None for obj in objects.values()), objects
    client.force_login(shop_a.owner)
    index = client.get(reverse("admin:index"))
    listed = {
        f"{app['app_label']}_{model['object_name'].lower()}"
        for app in index.context["app_list"]
        for model in app["models"]
    }
    assert listed == {
        "catalogue_product",
        "catalogue_stockrecord",
        "orders_order",
        "orders_refundrequest",
        "orders_changerequest",
        "merchants_merchant",
        "merchants_merchantstaff",
    }
    for url_name, obj in objects.items():
        assert reverse(f"admin:{url_name}_changelist") not in index.text, url_name
        for view, args in (
            ("changelist", []),
            ("add", []),
            ("change", [quote(obj.pk)]),
            ("delete", [quote(obj.pk)]),
            ("history", [quote(obj.pk)]),
        ):
            response = client.get(reverse(f"admin:{url_name}_{view}", args=args))
            assert response.status_code in (302, 403), (url_name, view, response.status_code)
            if response.status_code == 302:
                assert response["Location"] == reverse("admin:index"), (url_name, view)
        post = client.post(reverse(f"admin:{url_name}_change", args=[quote(obj.pk)]), {})
        assert post.status_code in (302, 403), url_name
    for app in ("payments", "sandbox", "gifting", "accounts", "auth", "core"):
        assert client.get(reverse("admin:app_list", args=[app])).status_code == 404, app
    assert Gift.objects.filter(pk=objects["gifting_gift"].pk).exists()


def test_operators_reach_the_platform_models(client, operator, shop_b) -> None:
    objects = _platform_objects(client, shop_b)
    client.force_login(operator)
    for url_name, obj in objects.items():
        assert client.get(reverse(f"admin:{url_name}_changelist")).status_code == 200, url_name
        response = client.get(reverse(f"admin:{url_name}_change", args=[quote(obj.pk)]))
        assert response.status_code == 200, url_name


def test_the_merchant_app_index_lists_only_the_staff_models(as_a) -> None:
    response = as_a.get(reverse("admin:app_list", args=["merchants"]))
    assert response.status_code == 200
    names = {m["object_name"] for m in response.context["app_list"][0]["models"]}
    assert names == {"Merchant", "MerchantStaff"}


# --- (i) the shipping page ---------------------------------------------------------------


def test_the_shipping_page_shows_the_full_address_and_is_logged(
    client, as_a, shop_a, operator
) -> None:
    response = as_a.get(reverse("admin:orders_order_shipping", args=[shop_a.order.pk]))
    assert response.status_code == 200
    for text in (
        "张三",
        "13800000000",
        "浙江省",
        "杭州市",
        "西湖区",
        "文三路 1 号 甲单元",
        "310000",
    ):
        assert text in response.text
    log = AddressAccessLog.objects.get()
    assert (log.user, log.order) == (shop_a.owner, shop_a.order)

    client.force_login(operator)
    logs = client.get(reverse("admin:merchants_addressaccesslog_changelist"))
    assert logs.status_code == 200
    assert shop_a.order.number in logs.text
    assert {obj.pk for obj in logs.context["cl"].result_list} == {log.pk}


def test_every_opening_of_the_shipping_page_is_logged(as_a, shop_a) -> None:
    url = reverse("admin:orders_order_shipping", args=[shop_a.order.pk])
    as_a.get(url)
    as_a.get(url)
    assert AddressAccessLog.objects.filter(order=shop_a.order, user=shop_a.owner).count() == 2


def test_the_other_shops_shipping_page_is_not_found_and_not_logged(as_a, shop_b) -> None:
    url = reverse("admin:orders_order_shipping", args=[shop_b.order.pk])
    response = as_a.get(url)
    assert response.status_code == 404
    assert "中山路" not in response.text and "13911112222" not in response.text
    post = as_a.post(url, {"carrier": "顺丰速运", "tracking_number": "SF1"})
    assert post.status_code == 404
    assert as_a.post(url, {"_delivered": "1"}).status_code == 404
    assert not AddressAccessLog.objects.exists()
    assert Order.objects.get(pk=shop_b.order.pk).status == Order.Status.PAID


def test_shoppers_cannot_open_the_shipping_page(client, shop_a) -> None:
    client.force_login(UserFactory())
    response = client.get(reverse("admin:orders_order_shipping", args=[shop_a.order.pk]))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    assert not AddressAccessLog.objects.exists()


def test_address_logs_are_not_visible_to_merchant_staff(as_a, shop_a) -> None:
    as_a.get(reverse("admin:orders_order_shipping", args=[shop_a.order.pk]))
    response = as_a.get(reverse("admin:merchants_addressaccesslog_changelist"))
    assert response.status_code == 403


def test_the_money_columns_are_the_shops_own(as_a, shop_a) -> None:
    response = as_a.get(reverse("admin:orders_order_change", args=[shop_a.order.pk]))
    assert f"¥{shop_a.order.merchant_net}" in response.text
    assert shop_a.order.total == Decimal("100.00")
