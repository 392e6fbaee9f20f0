"""Service providers open shops for merchants: `POST /api/v1/merchant-applications/`
(multipart, the web form's fields and checks) and the approved merchant becomes managed."""

import pytest
from django.test import Client

from merchants import services as merchants
from merchants.models import ApplicationDocument, MerchantApplication
from shop.catalogue.models import Product
from tests.factories import CategoryFactory, ProductFactory, SkuFactory, UserFactory
from tests.merchants.world import ADDRESSES, place_order
from tests.partners import api_for
from tests.uploads import png_claiming

from .conftest import application_form, assert_problem, body, licence

pytestmark = pytest.mark.django_db

URL = "/api/v1/merchant-applications/"


@pytest.fixture
def categories(db: None) -> dict:
    top = CategoryFactory(name="礼品", name_en="Gifts")
    return {
        "flowers": CategoryFactory(parent=top, name="鲜花", name_en="Flowers"),
        "tea": CategoryFactory(parent=top, name="茶叶", name_en="Tea", requires_qualification=True),
        "top": top,
    }


@pytest.fixture
def provider(client: Client) -> dict:
    partner, api = api_for(client, "Provider")
    return {"partner": partner, "api": api}


def test_a_valid_application_is_submitted(provider, categories) -> None:
    response = provider["api"].post_multipart(URL, application_form(categories["flowers"]))
    assert response.status_code == 201, response.content
    data = body(response)
    assert data["id"].startswith("app_")
    assert data["status"] == "submitted"
    assert data["uscc"] == "91350100M000100Y43"
    assert data["contact_phone"] == "13800138000"
    assert data["categories"] == [f"cat_{categories['flowers'].pk}"]
    assert data["merchant"] is None
    application = MerchantApplication.objects.get()
    assert application.partner == provider["partner"]
    assert application.documents.get().kind == ApplicationDocument.Kind.LICENCE


def test_an_application_can_be_read_back(provider, categories) -> None:
    created = body(provider["api"].post_multipart(URL, application_form(categories["flowers"])))
    response = provider["api"].get(f"{URL}{created['id']}/")
    assert response.status_code == 200
    assert body(response) == created
    assert [a["id"] for a in body(provider["api"].get(URL))["results"]] == [created["id"]]


def test_an_invalid_credit_code_is_422_with_errors_uscc(provider, categories) -> None:
    form = application_form(categories["flowers"], uscc="91350100M000100Y44")
    problem = assert_problem(provider["api"].post_multipart(URL, form), 422, "validation")
    assert list(problem["errors"]) == ["uscc"]
    assert "3" in problem["errors"]["uscc"][0]
    assert not MerchantApplication.objects.exists()


def test_a_missing_licence_is_422(provider, categories) -> None:
    form = application_form(categories["flowers"], licence=None)
    problem = assert_problem(provider["api"].post_multipart(URL, form), 422, "validation")
    assert list(problem["errors"]) == ["licence"]
    assert not MerchantApplication.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("licence.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" * 64),
        ("licence.pdf", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 1024),
    ],
    ids=["renamed-windows-executable", "renamed-elf-executable"],
)
def test_a_renamed_executable_as_licence_is_422(provider, categories, name, content) -> None:
    form = application_form(categories["flowers"], licence=licence(content, name))
    problem = assert_problem(provider["api"].post_multipart(URL, form), 422, "validation")
    assert list(problem["errors"]) == ["licence"]
    assert not MerchantApplication.objects.exists()
    assert not ApplicationDocument.objects.exists()


def test_a_licence_claiming_too_many_pixels_is_422(provider, categories) -> None:
    form = application_form(categories["flowers"], licence=licence(png_claiming(100_000, 100_000)))
    problem = assert_problem(provider["api"].post_multipart(URL, form), 422, "validation")
    assert list(problem["errors"]) == ["licence"]
    assert "pixels" in problem["errors"]["licence"][0]
    assert not MerchantApplication.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"email": "not-an-email"}, "email"),
        ({"shop_name": ""}, "shop_name"),
        ({"categories": []}, "categories"),
        ({"categories": ["cat_999999"]}, "categories"),
        ({"categories": ["flowers"]}, "categories"),
        ({"contact_phone": "١٣٨٠٠١٣٨٠٠٠"}, "contact_phone"),
        ({"email": "a" * 64 + "@" + ".".join(["b" * 63] * 3) + "." + "e" * 59 + ".com"}, "email"),
    ],
    ids=[
        "phone",
        "email",
        "shop-name",
        "no-categories",
        "unknown-category",
        "malformed",
        "arabic-indic-phone",
        "email-320-characters",
    ],
)
def test_the_web_forms_other_checks_are_422(provider, categories, change, field) -> None:
    form = application_form(categories["flowers"], **change)
    problem = assert_problem(provider["api"].post_multipart(URL, form), 422, "validation")
    assert field in problem["errors"]
    assert not MerchantApplication.objects.exists()


def test_a_full_width_contact_phone_is_stored_as_ascii(provider, categories) -> None:
    form = application_form(categories["flowers"], contact_phone="１３８ ００１３ ８０００")
    assert provider["api"].post_multipart(URL, form).status_code == 201
    assert MerchantApplication.objects.get().contact_phone == "13800138000"


def test_a_top_level_category_is_refused(provider, categories) -> None:
    form = application_form(categories["top"])
    problem = assert_problem(provider["api"].post_multipart(URL, form), 422, "validation")
    assert "categories" in problem["errors"]


def test_a_category_needing_a_qualification_requires_its_upload(provider, categories) -> None:
    tea = categories["tea"]
    problem = assert_problem(
        provider["api"].post_multipart(URL, application_form(tea)), 422, "validation"
    )
    assert list(problem["errors"]) == [f"qualification_cat_{tea.pk}"]
    form = application_form(tea, **{f"qualification_cat_{tea.pk}": licence(name="tea.jpg")})
    response = provider["api"].post_multipart(URL, form)
    assert response.status_code == 201, response.content
    kinds = sorted(MerchantApplication.objects.get().documents.values_list("kind", flat=True))
    assert kinds == sorted(
        [ApplicationDocument.Kind.LICENCE, ApplicationDocument.Kind.QUALIFICATION]
    )


def test_a_repeated_upload_with_its_idempotency_key_submits_once(provider, categories) -> None:
    headers = {"Idempotency-Key": "apply-1"}
    first = provider["api"].post_multipart(URL, application_form(categories["flowers"]), headers)
    again = provider["api"].post_multipart(URL, application_form(categories["flowers"]), headers)
    assert first.status_code == again.status_code == 201
    assert body(again) == body(first)
    assert MerchantApplication.objects.count() == 1


def test_an_approved_applications_merchant_is_managed_by_the_partner(
    client, provider, categories
) -> None:
    api = provider["api"]
    created = body(api.post_multipart(URL, application_form(categories["flowers"])))
    application = MerchantApplication.objects.get()
    merchant = merchants.application_approve(
        application=application, operator=UserFactory(is_staff=True, is_superuser=True)
    )
    assert provider["partner"].merchants.filter(pk=merchant.pk).exists()

    data = body(api.get(f"{URL}{created['id']}/"))
    assert (data["status"], data["merchant"]) == ("approved", f"mer_{merchant.pk}")

    draft = ProductFactory(
        merchant=merchant, category=categories["flowers"], status=Product.Status.DRAFT
    )
    sku = SkuFactory(product=ProductFactory(merchant=merchant, category=categories["flowers"]))
    assert api.get(f"/api/v1/products/prod_{draft.pk}/").status_code == 200
    order = place_order(client, sku, address=ADDRESSES["A"])
    orders = body(api.get("/api/v1/orders/"))["results"]
    assert [o["id"] for o in orders] == [f"ord_{order.pk}"]
    patched = api.patch(f"/api/v1/skus/sku_{sku.pk}/", {"stock": 3})
    assert patched.status_code == 200


def test_a_rejected_application_manages_nothing(provider, categories) -> None:
    provider["api"].post_multipart(URL, application_form(categories["flowers"]))
    merchants.application_reject(
        application=MerchantApplication.objects.get(),
        operator=UserFactory(is_staff=True),
        reason="Blurry licence",
    )
    data = body(provider["api"].get(URL))["results"][0]
    assert (data["status"], data["rejection_reason"]) == ("rejected", "Blurry licence")
    assert not provider["partner"].merchants.exists()


def test_the_same_idempotency_key_with_another_licence_is_422(provider, categories) -> None:
    from tests.factories import jpeg_bytes

    headers = {"Idempotency-Key": "apply-2"}
    form = application_form(categories["flowers"])
    assert provider["api"].post_multipart(URL, form, headers).status_code == 201
    other = application_form(categories["flowers"], licence=licence(jpeg_bytes("blue")))
    response = provider["api"].post_multipart(URL, other, headers)
    assert_problem(response, 422, "idempotency-key-reused")
    assert MerchantApplication.objects.count() == 1
