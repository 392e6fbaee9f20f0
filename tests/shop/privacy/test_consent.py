"""Notice and consent: the notice is a versioned page, and accepting a gift, signing up and
applying for a shop each record the time, the notice's version and (for a gift) the
merchant the address goes to."""

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from gifting import services as gifting
from merchants.models import MerchantApplication
from shop.accounts.models import User
from shop.privacy import consent
from shop.privacy.admin import PrivacyNoticeAdmin
from shop.privacy.models import Consent, PrivacyNotice
from tests.factories import CategoryFactory, UserFactory
from tests.gifts import link, live_gift, recipient
from tests.merchants.test_onboarding import form_data

pytestmark = pytest.mark.django_db


def english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_the_notice_page_shows_the_current_version_in_both_languages() -> None:
    consent.notice_publish(
        body="第二版：只用于送货。", body_en="Second version: for delivery only."
    )
    english_page = english().get("/privacy/")
    chinese_page = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/privacy/")
    assert "Second version: for delivery only." in english_page.content.decode()
    assert "Version 2" in english_page.content.decode()
    assert "第二版：只用于送货。" in chinese_page.content.decode()


def test_an_earlier_version_stays_readable_at_its_own_address() -> None:
    first = consent.notice_current()
    consent.notice_publish(body="第二版", body_en="Second")
    page = english().get(f"/privacy/v{first.version}/")
    assert page.status_code == 200
    assert "Gift Shop processes your personal information" in page.content.decode()


def test_the_first_notice_states_the_configured_retention(settings) -> None:
    settings.PRIVACY_RETENTION_DAYS = 30
    assert "kept for 30 days after delivery" in consent.notice_current().body_en
    assert "保存 30 天" in consent.notice_current().body


def test_the_claim_form_names_the_merchant_the_use_the_retention_and_links_the_notice(
    settings,
) -> None:
    settings.PRIVACY_RETENTION_DAYS = 90
    client = english()
    gift = live_gift(client)
    page = client.get(link(gift)).content.decode()
    shop = gift.sku.product.merchant.display_name
    assert f"Your name, phone and address go to {shop}, only to deliver this gift." in page
    assert "We use them for nothing else" in page
    assert "They are erased 90 days after delivery" in page
    assert 'href="/privacy/"' in page


def test_accepting_a_gift_records_the_consent_with_the_version_and_the_merchant() -> None:
    gift = live_gift(english())
    consent.notice_publish(body="第二版", body_en="Second")
    claim = gifting.gift_claim(gift=gift, recipient=recipient(), sku_id=None, user=None)
    given = Consent.objects.get(claim=claim)
    assert given.purpose == Consent.Purpose.GIFT_CLAIM
    assert given.notice.version == 2
    assert given.recipient_merchant == gift.sku.product.merchant
    assert given.given_at is not None


def test_a_refused_claim_records_no_consent() -> None:
    gift = live_gift(english())
    gifting.gift_claim(gift=gift, recipient=recipient(), sku_id=None, user=None)
    with pytest.raises(gifting.GiftError, match="already been accepted"):
        gifting.gift_claim(
            gift=gift, recipient=recipient(phone="13700000000"), sku_id=None, user=None
        )
    assert Consent.objects.count() == 1


def test_signing_up_records_the_shoppers_consent(client) -> None:
    page = client.get(reverse("accounts:signup")).content.decode()
    assert 'href="/privacy/"' in page
    client.post(
        reverse("accounts:signup"),
        {
            "name": "王小明",
            "email": "ming@example.com",
            "password1": "gift-shop-2026!",
            "password2": "gift-shop-2026!",
        },
    )
    user = User.objects.get(email="ming@example.com")
    given = Consent.objects.get(user=user)
    assert given.purpose == Consent.Purpose.SIGNUP
    assert given.notice == consent.notice_current()


def test_a_merchant_application_records_the_applicants_consent(client) -> None:
    flowers = CategoryFactory(parent=CategoryFactory())
    assert 'href="/privacy/"' in client.get("/merchants/open-a-shop/").content.decode()
    response = client.post("/merchants/open-a-shop/", form_data([flowers]))
    assert response.status_code == 302
    application = MerchantApplication.objects.get()
    given = Consent.objects.get(application=application)
    assert given.purpose == Consent.Purpose.MERCHANT_APPLICATION


def test_an_operator_publishes_a_new_version_and_the_old_one_stays_as_it_was() -> None:
    first = consent.notice_current()
    operator = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(operator)
    response = client.post(
        "/admin/privacy/privacynotice/add/", {"body": "新版本", "body_en": "New version"}
    )
    assert response.status_code == 302
    assert list(PrivacyNotice.objects.values_list("version", flat=True)) == [2, 1]
    first.refresh_from_db()
    assert first.body_en.startswith("Gift Shop processes")
    model_admin = PrivacyNoticeAdmin(PrivacyNotice, admin.site)
    request = RequestFactory().get("/")
    request.user = operator
    assert model_admin.get_readonly_fields(request, first) == [
        "version",
        "body",
        "body_en",
        "published_at",
    ]
