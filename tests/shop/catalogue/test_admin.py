import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from shop.catalogue import selectors, services
from shop.catalogue.models import Product, ProductImage, Sku
from tests.factories import (
    CategoryFactory,
    MerchantFactory,
    ProductFactory,
    UserFactory,
    jpeg_bytes,
)
from tests.uploads import png_claiming

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
                    "attribute_name_0": "颜色",
                    "attribute_value_0": "灰色",
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
    assert sku.attributes == {"颜色": "灰色"}
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


def _product_with_photo(client, photo: SimpleUploadedFile) -> object:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    data = {
        "merchant": MerchantFactory().pk,
        "category": CategoryFactory().pk,
        "title": "羊毛围巾",
        "description": "保暖",
        **_formset("skus", []),
        **_formset("images", [{"image": photo, "position": 0}]),
    }
    return client.post(reverse("admin:catalogue_product_add"), data)


def _photo_errors(response: object) -> list[str]:
    [images] = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "images"
    ]
    return images.errors[0].get("image", [])


@pytest.mark.parametrize("size", [(9000, 9000), (100_000, 100_000)])
def test_a_photo_claiming_too_many_pixels_is_refused_with_a_message(size) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = _product_with_photo(
        client, SimpleUploadedFile("big.png", png_claiming(*size), "image/png")
    )
    assert response.status_code == 200
    assert _photo_errors(response) == [
        "big.png has more than 25 million pixels: please upload a smaller image."
    ]
    assert not Product.objects.exists()
    assert not ProductImage.objects.exists()


def test_a_photo_in_another_format_is_refused_with_a_message() -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, format="GIF")
    response = _product_with_photo(
        client, SimpleUploadedFile("scarf.jpg", gif.getvalue(), "image/jpeg")
    )
    assert _photo_errors(response) == ["scarf.jpg is not a JPEG, PNG or WebP image."]
    assert not ProductImage.objects.exists()


def test_a_photo_is_stored_under_the_extension_of_what_it_is(client) -> None:
    response = _product_with_photo(
        client, SimpleUploadedFile("scarf.html", jpeg_bytes(size=(90, 60)), "text/html")
    )
    assert response.status_code == 302
    image = ProductImage.objects.get()
    assert image.image.name.endswith("/scarf.jpg"), image.image.name
    assert image.thumbnail.name.endswith(".jpg")


def test_adding_a_photo_through_the_service_checks_and_names_it_by_content() -> None:
    product = ProductFactory()
    png = io.BytesIO()
    Image.new("RGB", (30, 20)).save(png, format="PNG")
    image = services.product_image_add(
        product=product, upload=SimpleUploadedFile("photo.html", png.getvalue(), "text/html")
    )
    assert image.image.name == f"products/{product.pk}/photo.png"
    assert (image.width, image.height) == (30, 20)
    with pytest.raises(ValidationError, match="25"):  # megapixels, in the shop's language
        services.product_image_add(
            product=product, upload=SimpleUploadedFile("x.png", png_claiming(9000, 9000))
        )
    assert product.images.count() == 1


def test_a_sideways_camera_photo_gets_an_upright_thumbnail() -> None:
    """The thumbnail is made from the reduced image, then turned by its EXIF orientation."""
    photo = Image.new("RGB", (1200, 600), "white")
    exif = photo.getexif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    out = io.BytesIO()
    photo.save(out, format="JPEG", exif=exif)
    image = services.product_image_add(
        product=ProductFactory(), upload=SimpleUploadedFile("side.jpg", out.getvalue())
    )
    with Image.open(image.thumbnail) as thumbnail:
        assert thumbnail.size == (240, 480)
