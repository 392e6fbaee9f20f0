import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from shop.catalogue import selectors
from shop.catalogue.models import Product, ProductImage, Sku
from tests.factories import CategoryFactory, MerchantFactory, UserFactory, jpeg_bytes

pytestmark = pytest.mark.django_db


def _formset(prefix: str, rows: list[dict]) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": 0}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
    return data


def test_an_operator_adds_a_product_with_skus_and_a_photo_and_it_is_searchable(client) -> None:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    merchant, category = MerchantFactory(), CategoryFactory()
    data = {
        "merchant": merchant.pk,
        "category": category.pk,
        "title": "羊毛围巾",
        "title_en": "Wool Scarf",
        "description": "保暖",
        **_formset(
            "skus",
            [
                {
                    "code": "SC-1",
                    "attributes": '{"colour": "灰色"}',
                    "price": "199.00",
                    "is_active": "on",
                    "position": 0,
                }
            ],
        ),
        **_formset(
            "images",
            [
                {
                    "image": SimpleUploadedFile(
                        "scarf.jpg", jpeg_bytes(size=(900, 600)), "image/jpeg"
                    ),
                    "position": 0,
                }
            ],
        ),
    }
    response = client.post(reverse("admin:catalogue_product_add"), data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else ""
    )
    product = Product.objects.get(title="羊毛围巾")
    sku = Sku.objects.get(product=product)
    assert sku.stock.quantity == 0
    image = ProductImage.objects.get(product=product)
    assert image.thumbnail.name.endswith(".jpg")
    assert (image.width, image.height) == (900, 600)
    assert product.status == Product.Status.DRAFT
    assert list(selectors.product_listing(query="scarf")) == []

    for action in ("submit_for_review", "approve"):
        client.post(
            reverse("admin:catalogue_product_changelist"),
            {"action": action, "_selected_action": [product.pk]},
        )
    product.refresh_from_db()
    assert product.status == Product.Status.LISTED
    assert [p.pk for p in selectors.product_listing(query="scarf")] == [product.pk]
    assert [p.pk for p in selectors.product_listing(query="围巾")] == [product.pk]
