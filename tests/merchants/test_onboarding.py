"""Opening a shop: the public application, the operator's review, the owner's first login,
resubmission after a rejection, and suspension."""

import io
import re
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core import mail, signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from gifting import services as gifting
from gifting.models import Gift
from merchants.admin import MerchantAdmin
from merchants.models import ApplicationDocument, Merchant, MerchantApplication, MerchantStaff
from merchants.services import STAFF_GROUP, staff_group
from merchants.views import STATUS_SALT as SALT
from shop.accounts.models import User
from shop.catalogue.models import Product
from shop.orders.models import Order
from shop.payments import services as payments
from shop.payments.models import Refund
from tests.factories import (
    CategoryFactory,
    MerchantFactory,
    ProductFactory,
    SkuFactory,
    UserFactory,
    jpeg_bytes,
)
from tests.gifts import link, live_gift
from tests.merchants.adminforms import action, change_form_data, messages_of
from tests.merchants.world import merchant_user
from tests.uploads import png_claiming

pytestmark = pytest.mark.django_db

APPLY_URL = "/merchants/open-a-shop/"
PASSWORD = "Shop-Owner-Pass-2024!"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, format="PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
LICENCES = {
    "jpeg": ("licence.jpg", jpeg_bytes, "image/jpeg"),
    "png": ("licence.png", png_bytes, "image/png"),
    "pdf": ("licence.pdf", lambda: PDF, "application/pdf"),
}


@pytest.fixture
def categories() -> dict:
    top = CategoryFactory(name="礼品", name_en="Gifts")
    return {
        "flowers": CategoryFactory(parent=top, name="鲜花", name_en="Flowers"),
        "tea": CategoryFactory(parent=top, name="茶叶", name_en="Tea", requires_qualification=True),
    }


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type)


def form_data(categories: list, **changes: object) -> dict:
    data = {
        "legal_name": "杭州好礼贸易有限公司",
        "shop_name": "好礼小店",
        "uscc": "91350100M000100Y43",
        "contact_name": "王芳",
        "contact_phone": "138 0013 8000",
        "email": "Owner@Example.com",
        "categories": [c.pk for c in categories],
        "licence": upload("licence.png", png_bytes()),
    }
    data.update(changes)
    return data


def submit(client: Client, categories: list, **changes: object) -> MerchantApplication:
    response = client.post(APPLY_URL, form_data(categories, **changes))
    assert response.status_code == 302, response.context["form"].errors
    return MerchantApplication.objects.get()


def status_url(response: object) -> str:
    return response["Location"]


# --- The public form --------------------------------------------------------------------


def test_the_form_is_public_and_offers_subcategories_and_qualification_uploads(
    client, categories
) -> None:
    response = client.get(APPLY_URL)
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.fields["categories"].queryset) == set(categories.values())
    assert f"qualification_{categories['tea'].pk}" in form.fields
    assert f"qualification_{categories['flowers'].pk}" not in form.fields
    assert 'enctype="multipart/form-data"' in response.text


@pytest.mark.parametrize("kind", sorted(LICENCES))
def test_an_application_with_a_licence_is_submitted_and_its_status_page_shows_it(
    client, categories, kind
) -> None:
    name, content, content_type = LICENCES[kind]
    response = client.post(
        APPLY_URL,
        form_data([categories["flowers"]], licence=upload(name, content(), content_type)),
    )
    assert response.status_code == 302, response.context["form"].errors
    application = MerchantApplication.objects.get()
    assert application.status == MerchantApplication.Status.SUBMITTED
    assert application.uscc == "91350100M000100Y43"
    assert application.contact_phone == "13800138000"
    assert list(application.categories.all()) == [categories["flowers"]]
    document = application.documents.get()
    assert (document.kind, document.content_type) == (
        ApplicationDocument.Kind.LICENCE,
        content_type,
    )
    assert document.file.read() == content()

    url = status_url(response)
    assert url.startswith(APPLY_URL) and url != APPLY_URL
    assert str(application.pk) != url.rstrip("/").rsplit("/", 1)[-1]  # signed, not the id
    page = client.get(url)
    assert page.status_code == 200
    assert "Waiting for review" in page.text
    assert "好礼小店" in page.text
    assert any("waiting for review" in m for m in messages_of(page))


def test_a_tampered_or_guessed_status_link_is_not_found(client, categories) -> None:
    response = client.post(APPLY_URL, form_data([categories["flowers"]]))
    url = status_url(response)
    application = MerchantApplication.objects.get()
    assert client.get(url[:-3] + "xx/").status_code == 404
    assert client.get(f"{APPLY_URL}{application.pk}/").status_code == 404


def test_an_invalid_credit_code_is_refused_with_the_precise_reason_and_nothing_is_saved(
    client, categories
) -> None:
    response = client.post(APPLY_URL, form_data([categories["flowers"]], uscc="91350100M000100Y44"))
    assert response.status_code == 200
    message = (
        "The check character (the last one) should be 3, not 4: please check the code for a typo."
    )
    assert response.context["form"].errors["uscc"] == [message]
    assert message in response.text
    assert not MerchantApplication.objects.exists()
    assert not ApplicationDocument.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("licence.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" * 64, "image/jpeg"),
        ("licence.pdf", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 1024, "application/pdf"),
        ("licence.png", b"This is a plain text file, not an image.\n", "image/png"),
        ("licence.txt", b"hello", "text/plain"),
    ],
    ids=["renamed-windows-executable", "renamed-elf-executable", "text-as-png", "text"],
)
def test_an_upload_is_checked_by_its_content_not_its_name(
    client, categories, name, content, content_type
) -> None:
    response = client.post(
        APPLY_URL, form_data([categories["flowers"]], licence=upload(name, content, content_type))
    )
    assert response.status_code == 200
    assert response.context["form"].errors["licence"] == [
        f"{name} is not an image (JPEG, PNG, WebP) or a PDF."
    ]
    assert not MerchantApplication.objects.exists()
    assert not ApplicationDocument.objects.exists()


@pytest.mark.parametrize("size", [(100_000, 100_000), (9000, 9000)])
def test_a_licence_claiming_too_many_pixels_is_refused_with_a_message(
    client, categories, size
) -> None:
    bomb = upload("licence.png", png_claiming(*size))
    response = client.post(APPLY_URL, form_data([categories["flowers"]], licence=bomb))
    assert response.status_code == 200
    message = "licence.png has more than 25 million pixels: please upload a smaller image."
    assert response.context["form"].errors["licence"] == [message]
    assert message in response.text
    assert not MerchantApplication.objects.exists()


def test_a_document_is_stored_under_the_extension_of_what_it_contains(client, categories) -> None:
    html = PDF + b"<html><script>alert(document.cookie)</script></html>"
    application = submit(
        client, [categories["flowers"]], licence=upload("invoice.html", html, "text/html")
    )
    document = application.documents.get()
    assert document.content_type == "application/pdf"
    assert document.file.name == f"applications/{application.pk}/invoice.pdf"


def test_a_licence_over_10_mb_is_refused(client, categories) -> None:
    big = PDF + b"0" * (10 * 1024 * 1024 + 1 - len(PDF))
    response = client.post(
        APPLY_URL,
        form_data([categories["flowers"]], licence=upload("big.pdf", big, "application/pdf")),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["licence"] == ["big.pdf is larger than 10 MB."]
    assert not MerchantApplication.objects.exists()


def test_a_licence_of_exactly_10_mb_is_accepted(client, categories) -> None:
    exact = PDF + b"0" * (10 * 1024 * 1024 - len(PDF))
    submit(
        client,
        [categories["flowers"]],
        licence=upload("exact.pdf", exact, "application/pdf"),
    )


def test_the_licence_is_required(client, categories) -> None:
    data = form_data([categories["flowers"]])
    del data["licence"]
    response = client.post(APPLY_URL, data)
    assert response.status_code == 200
    assert "licence" in response.context["form"].errors
    assert not MerchantApplication.objects.exists()


def test_a_category_needing_a_qualification_names_the_missing_upload(client, categories) -> None:
    tea = categories["tea"]
    response = client.post(APPLY_URL, form_data([categories["flowers"], tea]))
    assert response.status_code == 200
    assert response.context["form"].errors[f"qualification_{tea.pk}"] == [
        "Upload the qualification for Tea, or untick that category."
    ]
    assert "Upload the qualification for Tea" in response.text
    assert not MerchantApplication.objects.exists()


def test_a_qualification_upload_is_kept_with_its_category(client, categories) -> None:
    tea = categories["tea"]
    application = submit(
        client,
        [tea],
        **{f"qualification_{tea.pk}": upload("tea-licence.jpg", jpeg_bytes(), "image/jpeg")},
    )
    qualification = application.documents.get(kind=ApplicationDocument.Kind.QUALIFICATION)
    assert (qualification.category, qualification.content_type) == (tea, "image/jpeg")


def test_a_qualification_upload_is_checked_by_content_too(client, categories) -> None:
    tea = categories["tea"]
    response = client.post(
        APPLY_URL,
        form_data(
            [tea],
            **{f"qualification_{tea.pk}": upload("tea.jpg", b"MZ\x90\x00" * 100, "image/jpeg")},
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors[f"qualification_{tea.pk}"]
    assert "tea.jpg is not an image (JPEG, PNG, WebP) or a PDF." in errors
    assert not MerchantApplication.objects.exists()


def test_an_invalid_mobile_number_is_refused(client, categories) -> None:
    response = client.post(APPLY_URL, form_data([categories["flowers"]], contact_phone="12345"))
    assert "contact_phone" in response.context["form"].errors
    assert not MerchantApplication.objects.exists()


def test_an_email_longer_than_its_column_is_a_form_error(client, categories) -> None:
    email = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 59 + ".com"
    response = client.post(APPLY_URL, form_data([categories["flowers"]], email=email))
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not MerchantApplication.objects.exists()


# --- The operator's review ----------------------------------------------------------------


def review(client: Client, application: MerchantApplication, button: str, reason: str = ""):
    url = reverse("admin:merchants_merchantapplication_change", args=[application.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = change_form_data(page)
    data.update({"rejection_reason": reason, button: "1"})
    return client.post(url, data, follow=True)


def test_the_review_page_shows_the_application_and_its_buttons(
    client, operator, categories
) -> None:
    application = submit(client, [categories["flowers"]])
    client.force_login(operator)
    page = client.get(reverse("admin:merchants_merchantapplication_change", args=[application.pk]))
    assert 'name="_approve"' in page.text and 'name="_reject"' in page.text
    assert "91350100M000100Y43" in page.text
    document = application.documents.get()
    assert document.file.url in page.text
    listing = client.get(reverse("admin:merchants_merchantapplication_changelist"))
    assert "好礼小店" in listing.text


def test_approval_opens_the_shop_with_an_owner_who_sets_a_password_and_logs_in(
    client, operator, categories, django_capture_on_commit_callbacks
) -> None:
    application = submit(
        client,
        [categories["flowers"], categories["tea"]],
        **{f"qualification_{categories['tea'].pk}": upload("q.pdf", PDF, "application/pdf")},
    )
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = review(client, application, "_approve")
    assert "Approved: 好礼小店 is open." in messages_of(response)

    merchant = Merchant.objects.get()
    assert (merchant.name, merchant.legal_name, merchant.uscc, merchant.status) == (
        "好礼小店",
        "杭州好礼贸易有限公司",
        "91350100M000100Y43",
        Merchant.Status.ACTIVE,
    )
    assert (merchant.contact_name, merchant.contact_phone) == ("王芳", "13800138000")
    assert set(merchant.categories.all()) == {categories["flowers"], categories["tea"]}
    application.refresh_from_db()
    assert application.status == MerchantApplication.Status.APPROVED
    assert (application.merchant, application.reviewed_by) == (merchant, operator)
    assert application.reviewed_at is not None

    owner = User.objects.get(email="owner@example.com")
    assert owner.is_staff and not owner.is_superuser
    assert not owner.has_usable_password()
    assert owner.groups.filter(name=STAFF_GROUP).exists()
    staff = MerchantStaff.objects.get(user=owner)
    assert (staff.merchant, staff.role) == (merchant, MerchantStaff.Role.OWNER)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["Owner@Example.com"]
    assert "好礼小店" in email.subject
    found = re.search(r"https?://\S+/account/password-reset/\S+/\S+/", email.body)
    assert found, email.body
    reset_path = urlsplit(found.group(0)).path

    applicant = Client(HTTP_ACCEPT_LANGUAGE="en")
    form_page = applicant.get(reset_path, follow=True)
    assert form_page.context["validlink"] is True
    set_url = form_page.redirect_chain[-1][0]
    done = applicant.post(set_url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert done.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)

    again = applicant.get(reset_path, follow=True)
    assert again.context["validlink"] is False  # one-time

    login = applicant.post(
        reverse("admin:login"),
        {"username": "owner@example.com", "password": PASSWORD, "next": "/admin/"},
    )
    assert login.status_code == 302 and login["Location"] == "/admin/"
    index = applicant.get("/admin/")
    assert index.status_code == 200
    assert reverse("admin:catalogue_product_changelist") in index.text
    assert reverse("admin:merchants_merchantapplication_changelist") not in index.text

    status_page = Client(HTTP_ACCEPT_LANGUAGE="en").get(
        reverse("merchants:application_status", args=[signing.dumps(application.pk, salt=SALT)])
    )
    assert "Approved" in status_page.text
    assert "Your shop is open." in status_page.text


def test_approval_uses_an_existing_account_with_the_same_email(
    client, operator, categories, django_capture_on_commit_callbacks
) -> None:
    shopper = UserFactory(email="owner@example.com")
    application = submit(client, [categories["flowers"]])
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        review(client, application, "_approve")
    shopper.refresh_from_db()
    assert shopper.is_staff
    assert shopper.merchant_staff.role == MerchantStaff.Role.OWNER
    assert shopper.has_usable_password()  # their own password still works
    assert User.objects.filter(email="owner@example.com").count() == 1


def test_double_approval_is_refused(
    client, operator, categories, django_capture_on_commit_callbacks
) -> None:
    application = submit(client, [categories["flowers"]])
    client.force_login(operator)
    url = reverse("admin:merchants_merchantapplication_change", args=[application.pk])
    stale = change_form_data(client.get(url))  # two tabs open on the same application
    with django_capture_on_commit_callbacks(execute=True):
        review(client, application, "_approve")
        response = client.post(url, {**stale, "_approve": "1"}, follow=True)
    assert "This application was already reviewed." in messages_of(response)
    assert Merchant.objects.count() == 1
    assert MerchantStaff.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_second_application_with_a_code_already_open_is_refused_on_approval(
    client, operator, categories, django_capture_on_commit_callbacks
) -> None:
    MerchantFactory(uscc="91350100M000100Y43")
    application = submit(client, [categories["flowers"]])
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = review(client, application, "_approve")
    assert "A shop with this Unified Social Credit Code already exists." in messages_of(response)
    application.refresh_from_db()
    assert application.status == MerchantApplication.Status.SUBMITTED
    assert Merchant.objects.count() == 1
    assert not mail.outbox


def test_rejection_emails_the_reason(
    client, operator, categories, django_capture_on_commit_callbacks
) -> None:
    application = submit(client, [categories["flowers"]])
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = review(client, application, "_reject", "营业执照照片不清晰")
    assert "Rejected; the applicant was emailed the reason." in messages_of(response)
    application.refresh_from_db()
    assert application.status == MerchantApplication.Status.REJECTED
    assert application.rejection_reason == "营业执照照片不清晰"
    assert application.reviewed_by == operator
    assert not Merchant.objects.exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["Owner@Example.com"]
    assert "营业执照照片不清晰" in mail.outbox[0].body


def test_rejection_without_a_reason_is_refused(
    client, operator, categories, django_capture_on_commit_callbacks
) -> None:
    application = submit(client, [categories["flowers"]])
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = review(client, application, "_reject", "   ")
    assert "Say why the application is rejected; the applicant reads it." in messages_of(response)
    application.refresh_from_db()
    assert application.status == MerchantApplication.Status.SUBMITTED
    assert not mail.outbox


def test_a_rejected_application_cannot_then_be_approved(
    client, operator, categories, django_capture_on_commit_callbacks
) -> None:
    application = submit(client, [categories["flowers"]])
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        review(client, application, "_reject", "缺少资料")
        response = review(client, application, "_approve")
    assert "This application was already reviewed." in messages_of(response)
    assert not Merchant.objects.exists()


def test_the_applicant_fixes_a_rejected_application_and_resubmits(
    client, operator, categories, django_capture_on_commit_callbacks
) -> None:
    response = client.post(APPLY_URL, form_data([categories["flowers"]]))
    url = status_url(response)
    application = MerchantApplication.objects.get()
    operator_client = Client(HTTP_ACCEPT_LANGUAGE="en")
    operator_client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        review(operator_client, application, "_reject", "店铺名称与执照不符")

    page = client.get(url)
    assert "店铺名称与执照不符" in page.text
    assert "Rejected" in page.text
    assert page.context["form"] is not None
    assert page.context["form"].initial["uscc"] == "91350100M000100Y43"

    data = form_data([categories["flowers"]], shop_name="好礼旗舰店")
    del data["licence"]  # the licence on file stays
    resubmitted = client.post(url, data, follow=True)
    assert "Waiting for review" in resubmitted.text
    assert any("Resubmitted" in m for m in messages_of(resubmitted))
    application.refresh_from_db()
    assert application.status == MerchantApplication.Status.SUBMITTED
    assert (application.shop_name, application.rejection_reason) == ("好礼旗舰店", "")
    assert application.documents.filter(kind=ApplicationDocument.Kind.LICENCE).count() == 1
    assert MerchantApplication.objects.count() == 1


def test_a_resubmission_can_replace_the_licence(
    client, operator, categories, django_capture_on_commit_callbacks
) -> None:
    url = status_url(client.post(APPLY_URL, form_data([categories["flowers"]])))
    application = MerchantApplication.objects.get()
    operator_client = Client(HTTP_ACCEPT_LANGUAGE="en")
    operator_client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        review(operator_client, application, "_reject", "照片模糊")
    client.post(url, form_data([categories["flowers"]], licence=upload("new.pdf", PDF)))
    document = application.documents.get(kind=ApplicationDocument.Kind.LICENCE)
    assert document.content_type == "application/pdf"


def test_a_resubmission_keeps_the_qualifications_already_on_file(
    client, operator, categories, django_capture_on_commit_callbacks
) -> None:
    tea = categories["tea"]
    response = client.post(
        APPLY_URL, form_data([tea], **{f"qualification_{tea.pk}": upload("q.pdf", PDF)})
    )
    url = status_url(response)
    application = MerchantApplication.objects.get()
    operator_client = Client(HTTP_ACCEPT_LANGUAGE="en")
    operator_client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        review(operator_client, application, "_reject", "联系人电话错误")
    data = form_data([tea], contact_phone="13900139000")
    del data["licence"]
    client.post(url, data)
    application.refresh_from_db()
    assert application.status == MerchantApplication.Status.SUBMITTED
    assert application.contact_phone == "13900139000"
    assert application.documents.filter(category=tea).count() == 1


def test_a_submitted_or_approved_application_page_has_no_form(client, categories) -> None:
    response = client.post(APPLY_URL, form_data([categories["flowers"]]))
    page = client.get(status_url(response))
    assert page.context["form"] is None
    client.post(status_url(response), form_data([categories["flowers"]], shop_name="改名"))
    assert MerchantApplication.objects.get().shop_name == "好礼小店"


def test_approving_an_application_from_another_shops_staff_is_refused_with_a_message(
    client, operator, categories, django_capture_on_commit_callbacks
) -> None:
    merchant_user(MerchantFactory(), email="owner@example.com")
    application = submit(client, [categories["flowers"]])
    operator_client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    operator_client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = review(operator_client, application, "_approve")
    assert response.status_code == 200
    assert "This person already works for another shop." in messages_of(response)
    application.refresh_from_db()
    assert application.status == MerchantApplication.Status.SUBMITTED
    assert Merchant.objects.count() == 1  # only the other shop
    assert not mail.outbox


def test_a_new_owner_who_lost_the_link_can_ask_for_a_new_one(
    client, operator, categories, django_capture_on_commit_callbacks
) -> None:
    application = submit(client, [categories["flowers"]])
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        review(client, application, "_approve")
    mail.outbox.clear()
    Client(HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("accounts:password_reset"), {"email": "owner@example.com"}
    )
    assert len(mail.outbox) == 1


def test_approving_an_application_with_an_operators_email_is_refused(
    client, operator, categories, django_capture_on_commit_callbacks
) -> None:
    application = submit(client, [categories["flowers"]], email="operator@example.com")
    client.force_login(operator)
    with django_capture_on_commit_callbacks(execute=True):
        response = review(client, application, "_approve")
    assert "A platform operator's account cannot join a shop." in messages_of(response)
    assert not Merchant.objects.exists()
    assert not MerchantStaff.objects.filter(user=operator).exists()


def test_only_operators_reach_the_review_queue(client, operator, categories) -> None:
    application = submit(client, [categories["flowers"]])
    merchant = MerchantFactory()
    staff = merchant_user(merchant)
    client.force_login(staff)
    url = reverse("admin:merchants_merchantapplication_change", args=[application.pk])
    assert client.get(url).status_code in (302, 403)
    client.post(url, {"_approve": "1"})
    application.refresh_from_db()
    assert application.status == MerchantApplication.Status.SUBMITTED
    assert Merchant.objects.count() == 1


def test_the_staff_group_is_named_as_the_services_say(operator) -> None:
    group = staff_group()
    assert group == Group.objects.get(name="merchant staff")
    codes = set(group.permissions.values_list("codename", flat=True))
    assert "view_payment" not in codes and "view_category" not in codes
    assert "delete_product" not in codes


# --- Suspension -----------------------------------------------------------------------


def _visible(client: Client, product: Product) -> tuple[bool, int]:
    listing = client.get(reverse("catalogue:product_list"))
    page = client.get(reverse("catalogue:product_detail", args=[product.pk]))
    return product.title_en in listing.text, page.status_code


def _merchant_action(client: Client, name: str, merchant: Merchant):
    return action(client, reverse("admin:merchants_merchant_changelist"), name, [merchant.pk])


def test_suspension_hides_the_shop_at_once_and_reinstating_shows_it_again(client, operator) -> None:
    sku = SkuFactory(product=ProductFactory(title="桂花糕", title_en="Osmanthus Cake"))
    other = SkuFactory(product=ProductFactory(title="龙井茶", title_en="Longjing Tea"))
    merchant = sku.product.merchant
    shopper = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert _visible(shopper, sku.product) == (True, 200)

    client.force_login(operator)
    response = _merchant_action(client, "suspend", merchant)
    assert response.status_code == 302
    merchant.refresh_from_db()
    assert merchant.status == Merchant.Status.SUSPENDED
    assert _visible(shopper, sku.product) == (False, 404)
    assert _visible(shopper, other.product) == (True, 200)
    search = shopper.get(reverse("catalogue:product_list"), {"q": "桂花糕"})
    assert "Osmanthus Cake" not in search.text

    _merchant_action(client, "reinstate", merchant)
    merchant.refresh_from_db()
    assert merchant.status == Merchant.Status.ACTIVE
    assert _visible(shopper, sku.product) == (True, 200)


def test_suspending_twice_counts_once(client, operator) -> None:
    merchant = MerchantFactory()
    client.force_login(operator)
    first = _merchant_action(client, "suspend", merchant)
    second = client.get(first["Location"])
    assert "1 merchants suspended." in messages_of(second)
    again = client.get(_merchant_action(client, "suspend", merchant)["Location"])
    assert "0 merchants suspended." in messages_of(again)


def test_a_live_gift_of_a_suspended_shop_can_still_be_claimed(client, operator) -> None:
    gift = live_gift(client)
    client.force_login(operator)
    _merchant_action(client, "suspend", gift.sku.product.merchant)
    recipient = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = recipient.post(
        link(gift),
        {
            "recipient_name": "李小红",
            "phone": "13912345678",
            "province": "浙江省",
            "city": "杭州市",
            "district": "西湖区",
            "street": "文三路 1 号",
            "action": "accept",
        },
        follow=True,
    )
    assert "You accepted this gift" in response.text
    gift.refresh_from_db()
    assert gift.status == Gift.Status.ACCEPTED
    order = Order.objects.get(gift_claim__gift=gift)
    assert (order.status, order.merchant) == (Order.Status.PAID, gift.sku.product.merchant)


def test_a_live_gift_of_a_suspended_shop_still_expires_and_refunds(client, operator) -> None:
    gift = live_gift(client)
    client.force_login(operator)
    _merchant_action(client, "suspend", gift.sku.product.merchant)
    Gift.objects.filter(pk=gift.pk).update(expires_at=timezone.now())
    assert gifting.gifts_expire_due() == 1
    refund = Refund.objects.get(subject=f"gift:{gift.pk}")
    payments.refund_execute(refund_id=refund.pk)
    gift.refresh_from_db()
    assert (gift.status, gift.refunded_amount) == (Gift.Status.EXPIRED, gift.amount)


def test_a_suspended_shops_products_cannot_be_sent_as_new_gifts(client, operator) -> None:
    sku = SkuFactory()
    client.force_login(operator)
    _merchant_action(client, "suspend", sku.product.merchant)
    with pytest.raises(gifting.GiftError):
        gifting.gift_create(
            sender=UserFactory(),
            sku_id=sku.pk,
            quantity=1,
            message="",
            sender_name="小明",
            allow_variant_choice=False,
            language="en",
        )


def test_merchant_staff_have_no_suspend_or_reinstate_actions(operator) -> None:
    merchant = MerchantFactory()
    request = RequestFactory().get(reverse("admin:merchants_merchant_changelist"))
    request.user = merchant_user(merchant)
    assert MerchantAdmin(Merchant, admin.site).get_actions(request) == {}
    request.user = operator
    assert {"suspend", "reinstate"} <= set(MerchantAdmin(Merchant, admin.site).get_actions(request))
