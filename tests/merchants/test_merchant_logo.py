"""A merchant's logo: uploaded on their shop's page, checked by content and size like a
product photo, and shown beside the shop's name in the back office's header."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from merchants.models import Merchant
from tests.factories import MerchantFactory, UserFactory
from tests.merchants.world import merchant_user
from tests.uploads import png_claiming

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 80, 40)).save(out, "PNG")
    return out.getvalue()


def _upload(merchant: Merchant, name: str, content: bytes) -> tuple[Client, object]:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(merchant_user(merchant))
    url = reverse("admin:merchants_merchant_change", args=[merchant.pk])
    return client, client.post(
        url, {"logo": SimpleUploadedFile(name, content), "_save": "Save"}, follow=True
    )


def test_a_merchants_logo_shows_beside_its_name_in_the_header() -> None:
    merchant = MerchantFactory(name_en="Osmanthus House")
    client, saved = _upload(merchant, "logo.png", _png())
    assert saved.redirect_chain, saved.text  # saved, back to the list
    merchant.refresh_from_db()
    assert merchant.logo.name.startswith("merchants/logos/logo")
    home = client.get(reverse("admin:index"))
    assert home.context["site_icon"] == merchant.logo.url
    assert f'src="{merchant.logo.url}"' in home.text


def test_a_page_named_like_a_picture_is_refused_as_a_logo() -> None:
    merchant = MerchantFactory()
    _, response = _upload(merchant, "logo.png", b"<html><script>alert(1)</script></html>")
    assert "is not a JPEG, PNG or WebP image" in response.text
    merchant.refresh_from_db()
    assert not merchant.logo


def test_a_logo_of_too_many_pixels_is_refused_from_its_header() -> None:
    merchant = MerchantFactory()
    _, response = _upload(merchant, "huge.png", png_claiming(20_000, 20_000))
    assert "million pixels" in response.text
    merchant.refresh_from_db()
    assert not merchant.logo


def test_operators_see_the_platforms_symbol_not_a_shops_logo() -> None:

    operator = Client(HTTP_ACCEPT_LANGUAGE="en")
    operator.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert operator.get(reverse("admin:index")).context["site_icon"] is None
