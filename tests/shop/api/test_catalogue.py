"""Catalogue endpoints: categories, products (filters, detail with SKUs), creating a
managed merchant's product (compliance check and review), and a SKU's price and stock."""

from decimal import Decimal

import pytest
from django.test import Client

from shop.catalogue import services as catalogue
from shop.catalogue.models import Category, Product, Sku, StockRecord
from tests.factories import CategoryFactory, MerchantFactory, ProductFactory, SkuFactory
from tests.partners import api_for, managed_merchant

from .conftest import assert_problem, body

pytestmark = pytest.mark.django_db


def ids(response: object) -> set[str]:
    assert response.status_code == 200, response.content
    return {p["id"] for p in body(response)["results"]}


def pid(product: Product) -> str:
    return f"prod_{product.pk}"


@pytest.fixture
def api(client: Client):
    return api_for(client, "Brand", balance="5000.00")[1]


@pytest.fixture
def shelf(db: None) -> dict:
    """Two top categories (one giftable), subcategories, and a product in each."""
    gifts = CategoryFactory(name="礼品", name_en="Gifts", giftable=True)
    flowers = CategoryFactory(parent=gifts, name="鲜花", name_en="Flowers")
    tea = CategoryFactory(parent=gifts, name="茶叶", name_en="Tea", giftable=False)
    office = CategoryFactory(name="办公", name_en="Office", giftable=False)
    pens = CategoryFactory(parent=office, name="笔", name_en="Pens", giftable=True)
    merchant, other = MerchantFactory(), MerchantFactory()
    products = {
        "top": ProductFactory(merchant=merchant, category=gifts, title_en="Hamper"),
        "flowers": ProductFactory(merchant=merchant, category=flowers, title_en="Osmanthus"),
        "tea": ProductFactory(merchant=other, category=tea, title_en="Longjing"),
        "pens": ProductFactory(merchant=other, category=pens, title_en="Fountain pen"),
    }
    for product in products.values():
        SkuFactory(product=product)
    catalogue.product_search_index_refresh(products=list(products.values()))
    return {
        "gifts": gifts,
        "flowers": flowers,
        "tea": tea,
        "office": office,
        "pens": pens,
        "merchant": merchant,
        "other": other,
        **{f"p_{k}": v for k, v in products.items()},
    }


# --- Categories -------------------------------------------------------------------------


def test_categories_are_listed_with_their_parent_and_giftable_flag(api, shelf) -> None:
    response = api.get("/api/v1/categories/")
    page = body(response)
    assert page["next"] is None
    by_id = {c["id"]: c for c in page["results"]}
    flowers = by_id[f"cat_{shelf['flowers'].pk}"]
    assert flowers["parent"] == f"cat_{shelf['gifts'].pk}"
    assert flowers["giftable"] is True
    assert by_id[f"cat_{shelf['gifts'].pk}"]["parent"] is None
    assert by_id[f"cat_{shelf['tea'].pk}"]["giftable"] is False
    assert len(by_id) == Category.objects.count()


# --- Products: list and filters ---------------------------------------------------------


def test_products_list_the_public_catalogue(api, shelf) -> None:
    hidden = ProductFactory(merchant=shelf["merchant"], status=Product.Status.DRAFT)
    found = ids(api.get("/api/v1/products/"))
    assert found == {pid(shelf[k]) for k in ("p_top", "p_flowers", "p_tea", "p_pens")}
    assert pid(hidden) not in found


def test_products_of_a_suspended_merchant_are_not_listed(api, shelf) -> None:
    shelf["other"].status = "suspended"
    shelf["other"].save()
    found = ids(api.get("/api/v1/products/"))
    assert pid(shelf["p_tea"]) not in found and pid(shelf["p_pens"]) not in found


def test_the_category_filter_includes_its_subcategories(api, shelf) -> None:
    found = ids(api.get("/api/v1/products/", category=f"cat_{shelf['gifts'].pk}"))
    assert found == {pid(shelf["p_top"]), pid(shelf["p_flowers"]), pid(shelf["p_tea"])}


def test_the_category_filter_on_a_subcategory_is_just_that_one(api, shelf) -> None:
    found = ids(api.get("/api/v1/products/", category=f"cat_{shelf['flowers'].pk}"))
    assert found == {pid(shelf["p_flowers"])}


def test_the_merchant_filter(api, shelf) -> None:
    found = ids(api.get("/api/v1/products/", merchant=f"mer_{shelf['other'].pk}"))
    assert found == {pid(shelf["p_tea"]), pid(shelf["p_pens"])}


def test_the_text_search(api, shelf) -> None:
    assert ids(api.get("/api/v1/products/", q="Osmanthus")) == {pid(shelf["p_flowers"])}
    assert ids(api.get("/api/v1/products/", q="nothing-like-this")) == set()


def test_giftable_true_is_a_giftable_category_under_a_giftable_parent(api, shelf) -> None:
    found = ids(api.get("/api/v1/products/", giftable="true"))
    assert found == {pid(shelf["p_top"]), pid(shelf["p_flowers"])}


def test_giftable_false_is_the_rest(api, shelf) -> None:
    found = ids(api.get("/api/v1/products/", giftable="false"))
    assert found == {pid(shelf["p_tea"]), pid(shelf["p_pens"])}


def test_the_giftable_flag_of_each_product_matches_the_filter(api, shelf) -> None:
    flags = {p["id"]: p["giftable"] for p in body(api.get("/api/v1/products/"))["results"]}
    assert flags[pid(shelf["p_flowers"])] is True
    assert flags[pid(shelf["p_pens"])] is False  # the parent is not giftable


def test_filters_combine(api, shelf) -> None:
    found = ids(api.get("/api/v1/products/", category=f"cat_{shelf['gifts'].pk}", giftable="false"))
    assert found == {pid(shelf["p_tea"])}


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("category", "abc"),
        ("category", "12"),
        ("category", "mer_1"),
        ("merchant", "shop-1"),
        ("merchant", "cat_1"),
        ("giftable", "maybe"),
        ("giftable", "yes please"),
    ],
)
def test_an_invalid_filter_value_is_422(api, shelf, param, value) -> None:
    problem = assert_problem(api.get("/api/v1/products/", **{param: value}), 422, "validation")
    assert list(problem["errors"]) == [param]


# --- Product detail ---------------------------------------------------------------------


def test_a_product_comes_with_its_skus(api, shelf) -> None:
    product = shelf["p_flowers"]
    extra = SkuFactory(
        product=product, attributes={"colour": "白色", "size": "L"}, price=Decimal("9.90"), stock=3
    )
    response = api.get(f"/api/v1/products/{pid(product)}/")
    assert response.status_code == 200
    data = body(response)
    assert data["id"] == pid(product)
    assert data["merchant"] == f"mer_{shelf['merchant'].pk}"
    assert data["category"] == f"cat_{shelf['flowers'].pk}"
    skus = {s["id"]: s for s in data["skus"]}
    assert len(skus) == 2
    sku = skus[f"sku_{extra.pk}"]
    assert sku["attributes"] == {"colour": "白色", "size": "L"}
    assert sku["price"] == {"value": "9.90", "currency": "CNY"}
    assert sku["stock"] == 3


def test_a_product_not_listed_of_an_unmanaged_merchant_is_404(api, shelf) -> None:
    draft = ProductFactory(merchant=shelf["merchant"], status=Product.Status.PENDING_REVIEW)
    assert_problem(api.get(f"/api/v1/products/{pid(draft)}/"), 404, "not-found")


def test_a_managed_merchants_product_is_visible_in_any_status(client) -> None:
    partner, api = api_for(client, "Provider")
    merchant = managed_merchant(partner)
    draft = ProductFactory(merchant=merchant, status=Product.Status.REJECTED)
    assert api.get(f"/api/v1/products/{pid(draft)}/").status_code == 200
    assert pid(draft) in ids(api.get("/api/v1/products/"))


# --- Creating a product -----------------------------------------------------------------


@pytest.fixture
def provider(client: Client, shelf: dict) -> dict:
    partner, api = api_for(client, "Provider")
    merchant = managed_merchant(partner)
    merchant.categories.add(shelf["flowers"])
    return {"partner": partner, "api": api, "merchant": merchant}


def new_product(merchant, category, **changes) -> dict:
    data = {
        "merchant": f"mer_{merchant.pk}",
        "category": f"cat_{category.pk}",
        "title": "桂花糕",
        "title_en": "Osmanthus cake",
        "description": "手工制作。",
        "description_en": "Handmade.",
        "skus": [
            {
                "code": "CAKE-S",
                "attributes": {"size": "小"},
                "price": {"value": "38.00", "currency": "CNY"},
                "stock": 12,
            },
            {
                "code": "CAKE-L",
                "attributes": {"size": "大"},
                "price": {"value": "68.00", "currency": "CNY"},
                "stock": 5,
            },
        ],
    }
    data.update(changes)
    return data


def test_a_new_product_waits_for_review(provider, shelf) -> None:
    response = provider["api"].post(
        "/api/v1/products/", new_product(provider["merchant"], shelf["flowers"])
    )
    assert response.status_code == 201, response.content
    data = body(response)
    assert data["status"] == "pending_review"
    assert data["findings"] == []
    product = Product.objects.get(pk=int(data["id"].removeprefix("prod_")))
    assert product.merchant == provider["merchant"]
    assert product.status == Product.Status.PENDING_REVIEW
    skus = {s.code: s for s in Sku.objects.filter(product=product)}
    assert skus["CAKE-S"].price == Decimal("38.00")
    assert StockRecord.objects.get(sku=skus["CAKE-L"]).quantity == 5
    assert [s["stock"] for s in data["skus"]] == [12, 5]


@pytest.mark.parametrize(
    ("field", "text", "term"),
    [("title", "最好的桂花糕", "最好"), ("title_en", "The best cake", "The best")],
)
def test_a_banned_claim_is_reported_and_the_product_waits_for_review(
    provider, shelf, field, text, term
) -> None:
    provider["merchant"].auto_list_clean_products = True
    provider["merchant"].save()
    payload = new_product(provider["merchant"], shelf["flowers"], **{field: text})
    data = body(provider["api"].post("/api/v1/products/", payload))
    assert data["status"] == "pending_review"
    assert {"field": field, "term": term} in data["findings"]


def test_a_clean_product_of_a_merchant_that_auto_lists_is_listed(provider, shelf) -> None:
    provider["merchant"].auto_list_clean_products = True
    provider["merchant"].save()
    response = provider["api"].post(
        "/api/v1/products/", new_product(provider["merchant"], shelf["flowers"])
    )
    assert response.status_code == 201
    data = body(response)
    assert data["status"] == "listed"
    other_api = api_for(provider["api"].client, "Someone else")[1]
    assert data["id"] in ids(other_api.get("/api/v1/products/"))


def test_a_product_for_an_unmanaged_merchant_is_422(provider, shelf) -> None:
    stranger = MerchantFactory()
    stranger.categories.add(shelf["flowers"])
    response = provider["api"].post("/api/v1/products/", new_product(stranger, shelf["flowers"]))
    problem = assert_problem(response, 422, "validation")
    assert "merchant" in problem["errors"]
    assert not Product.objects.filter(merchant=stranger).exists()


@pytest.mark.parametrize("category", ["tea", "gifts"], ids=["not-its-category", "top-level"])
def test_a_category_the_merchant_may_not_sell_in_is_422(provider, shelf, category) -> None:
    payload = new_product(provider["merchant"], shelf[category])
    problem = assert_problem(provider["api"].post("/api/v1/products/", payload), 422, "validation")
    assert "category" in problem["errors"]
    assert not Product.objects.filter(merchant=provider["merchant"]).exists()


def field_errors(problem: dict, field: str) -> list[str]:
    """The messages for `field`, however a nested field's name is spelled
    (`skus.0.price` or `skus[0].price`)."""
    normal = field.replace("[", ".").replace("]", "")
    found = [
        m
        for k, v in problem["errors"].items()
        if k.replace("[", ".").replace("]", "") == normal
        for m in v
    ]
    found += [
        m for k, v in problem["errors"].items() if k.startswith(f"{normal}.non_field") for m in v
    ]
    return found


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"skus": []}, "skus"),
        (
            {"skus": [{"code": "A", "price": {"value": "1.00", "currency": "CNY"}, "stock": -1}]},
            "skus[0].stock",
        ),
        (
            {"skus": [{"code": "A", "price": {"value": "1.00", "currency": "USD"}, "stock": 1}]},
            "skus[0].price",
        ),
        (
            {"skus": [{"code": "A", "price": {"value": "0.00", "currency": "CNY"}, "stock": 1}]},
            "skus[0].price",
        ),
    ],
    ids=["no-title", "no-skus", "negative-stock", "wrong-currency", "zero-price"],
)
def test_an_invalid_new_product_is_422_with_the_field(provider, shelf, change, field) -> None:
    payload = new_product(provider["merchant"], shelf["flowers"], **change)
    problem = assert_problem(provider["api"].post("/api/v1/products/", payload), 422, "validation")
    assert field_errors(problem, field), problem["errors"]
    assert not Product.objects.filter(merchant=provider["merchant"]).exists()


def test_a_new_skus_price_given_as_a_number_is_422(provider, shelf) -> None:
    payload = new_product(
        provider["merchant"],
        shelf["flowers"],
        skus=[{"code": "A", "price": 1.5, "stock": 1}],
    )
    problem = assert_problem(provider["api"].post("/api/v1/products/", payload), 422, "validation")
    assert field_errors(problem, "skus[0].price"), problem["errors"]


def test_two_skus_with_the_same_code_are_422(provider, shelf) -> None:
    payload = new_product(provider["merchant"], shelf["flowers"])
    payload["skus"][1]["code"] = payload["skus"][0]["code"]
    problem = assert_problem(provider["api"].post("/api/v1/products/", payload), 422, "validation")
    assert "skus" in problem["errors"]


# --- A SKU's price and stock ------------------------------------------------------------


@pytest.fixture
def managed_sku(provider, shelf) -> Sku:
    product = ProductFactory(merchant=provider["merchant"], category=shelf["flowers"])
    return SkuFactory(product=product, price=Decimal("50.00"), stock=4)


def test_a_managed_skus_price_and_stock_change_and_the_storefront_shows_them(
    client, provider, managed_sku
) -> None:
    response = provider["api"].patch(
        f"/api/v1/skus/sku_{managed_sku.pk}/",
        {"price": {"value": "123.45", "currency": "CNY"}, "stock": 7},
    )
    assert response.status_code == 200, response.content
    data = body(response)
    assert data["id"] == f"sku_{managed_sku.pk}"
    assert (data["price"], data["stock"]) == ({"value": "123.45", "currency": "CNY"}, 7)
    managed_sku.refresh_from_db()
    assert managed_sku.price == Decimal("123.45")
    assert StockRecord.objects.get(sku=managed_sku).quantity == 7
    page = client.get(f"/products/{managed_sku.product_id}/")
    assert page.status_code == 200
    assert "123.45" in page.text
    assert 'data-stock="7"' in page.text


def test_only_the_stock_can_be_changed(provider, managed_sku) -> None:
    response = provider["api"].patch(f"/api/v1/skus/sku_{managed_sku.pk}/", {"stock": 0})
    assert response.status_code == 200
    managed_sku.refresh_from_db()
    assert managed_sku.price == Decimal("50.00")
    assert StockRecord.objects.get(sku=managed_sku).quantity == 0


def test_an_unmanaged_merchants_sku_is_404_and_unchanged(provider, shelf) -> None:
    sku = shelf["p_flowers"].skus.get()
    response = provider["api"].patch(f"/api/v1/skus/sku_{sku.pk}/", {"stock": 999})
    assert_problem(response, 404, "not-found")
    assert StockRecord.objects.get(sku=sku).quantity == 10


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"stock": -1}, "stock"),
        ({"stock": "lots"}, "stock"),
        ({"price": {"value": "0.00", "currency": "CNY"}}, "price"),
        ({"price": {"value": "-5.00", "currency": "CNY"}}, "price"),
        ({"price": {"value": "10.00", "currency": "USD"}}, "price"),
    ],
    ids=["negative-stock", "text-stock", "zero-price", "negative-price", "wrong-currency"],
)
def test_an_invalid_sku_change_is_422_and_changes_nothing(
    provider, managed_sku, change, field
) -> None:
    response = provider["api"].patch(f"/api/v1/skus/sku_{managed_sku.pk}/", change)
    problem = assert_problem(response, 422, "validation")
    assert field in problem["errors"]
    managed_sku.refresh_from_db()
    assert managed_sku.price == Decimal("50.00")
    assert StockRecord.objects.get(sku=managed_sku).quantity == 4


@pytest.mark.parametrize(
    "price",
    [{"value": "1.234", "currency": "CNY"}, "10.00", 10, {"value": 10, "currency": "CNY"}],
    ids=["3-decimals", "bare-string", "number", "number-value"],
)
def test_a_malformed_price_is_422_and_changes_nothing(provider, managed_sku, price) -> None:
    response = provider["api"].patch(f"/api/v1/skus/sku_{managed_sku.pk}/", {"price": price})
    problem = assert_problem(response, 422, "validation")
    assert "price" in problem["errors"]
    managed_sku.refresh_from_db()
    assert managed_sku.price == Decimal("50.00")


def test_a_repeated_product_post_with_its_idempotency_key_creates_one(provider, shelf) -> None:
    payload = new_product(provider["merchant"], shelf["flowers"])
    headers = {"Idempotency-Key": "new-cake"}
    first = provider["api"].post("/api/v1/products/", payload, headers=headers)
    again = provider["api"].post("/api/v1/products/", payload, headers=headers)
    assert first.status_code == again.status_code == 201
    assert body(again)["id"] == body(first)["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert Product.objects.filter(merchant=provider["merchant"]).count() == 1


def test_a_well_formed_but_unknown_category_filter_is_an_empty_page(api, shelf) -> None:
    assert ids(api.get("/api/v1/products/", category="cat_999999")) == set()


@pytest.mark.parametrize("where", ["patch-sku", "new-product"])
def test_a_price_with_a_huge_exponent_is_422(provider, shelf, managed_sku, where) -> None:
    price = {"value": "1e400", "currency": "CNY"}
    if where == "patch-sku":
        response = provider["api"].patch(f"/api/v1/skus/sku_{managed_sku.pk}/", {"price": price})
    else:
        payload = new_product(
            provider["merchant"],
            shelf["flowers"],
            skus=[{"code": "A", "price": price, "stock": 1}],
        )
        response = provider["api"].post("/api/v1/products/", payload)
    assert_problem(response, 422, "validation")
