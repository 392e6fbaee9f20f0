"""Writes for merchants: applications, review, suspension, staff, and printing packing slips."""

from collections.abc import Collection

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from django.utils.translation import gettext as _

from shop.accounts.models import User
from shop.catalogue.models import Category
from shop.core import page_cache
from shop.core.errors import DomainError
from shop.privacy import consent
from shop.webhooks import events

from . import slips
from .models import (
    AddressAccessLog,
    ApplicationDocument,
    Merchant,
    MerchantApplication,
    MerchantStaff,
)
from .selectors import is_operator, orders_to_print
from .tenancy import staff_permissions
from .uploads import sniff_document
from .uscc import normalize_uscc

STAFF_GROUP = "merchant staff"


class ApplicationError(DomainError):
    """An application or shop-staff action that cannot happen; the message is for the person."""

    code = "application-refused"


def staff_group() -> Group:
    """The "merchant staff" group with exactly the permissions the merchant-owned models
    grant their staff (`tenancy.staff`; kept in sync). Every queryset they reach is scoped
    to their merchant."""
    group = Group.objects.get_or_create(name=STAFF_GROUP)[0]
    wanted = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in staff_permissions()
    ]
    group.permissions.set(wanted)
    return group


def _documents(
    application: MerchantApplication, licence: UploadedFile | None, qualifications: dict
) -> None:
    if licence is not None:
        application.documents.filter(kind=ApplicationDocument.Kind.LICENCE).delete()
        ApplicationDocument.objects.create(
            application=application,
            kind=ApplicationDocument.Kind.LICENCE,
            file=licence,
            content_type=sniff_document(licence),
        )
    for category, upload in qualifications.items():
        application.documents.filter(
            kind=ApplicationDocument.Kind.QUALIFICATION, category=category
        ).delete()
        ApplicationDocument.objects.create(
            application=application,
            kind=ApplicationDocument.Kind.QUALIFICATION,
            category=category,
            file=upload,
            content_type=sniff_document(upload),
        )


def _missing_documents(application: MerchantApplication) -> list[str]:
    missing = []
    if not application.documents.filter(kind=ApplicationDocument.Kind.LICENCE).exists():
        missing.append(_("the business licence"))
    have = set(
        application.documents.filter(kind=ApplicationDocument.Kind.QUALIFICATION).values_list(
            "category_id", flat=True
        )
    )
    for category in application.categories.all():
        if category.requires_qualification and category.pk not in have:
            missing.append(
                _("a qualification for %(category)s") % {"category": category.display_name}
            )
    return missing


@transaction.atomic
def application_submit(
    *,
    data: dict,
    categories: list[Category],
    licence: UploadedFile | None,
    qualifications: dict[Category, UploadedFile],
    application: MerchantApplication | None = None,
    partner: object | None = None,
) -> MerchantApplication:
    """Submit a new application, or fix and resubmit a rejected one.

    Uploads are checked by content before anything is saved; a missing document is
    refused with a message naming it.
    """
    if application is not None and application.status != MerchantApplication.Status.REJECTED:
        raise ApplicationError(_("Only a rejected application can be changed."))
    for upload in [licence, *qualifications.values()]:
        if upload is not None:
            sniff_document(upload)
    application = application or MerchantApplication(partner=partner)
    for field in ("legal_name", "shop_name", "contact_name", "contact_phone", "email"):
        setattr(application, field, data[field])
    application.uscc = normalize_uscc(data["uscc"])
    application.status = MerchantApplication.Status.SUBMITTED
    application.rejection_reason = ""
    application.full_clean(exclude=["merchant", "reviewed_by"])
    application.save()
    application.categories.set(categories)
    consent.consent_record(
        purpose=consent.Consent.Purpose.MERCHANT_APPLICATION, application=application
    )
    _documents(application, licence, qualifications)
    missing = _missing_documents(application)
    if missing:
        raise ValidationError(_("Please upload %(documents)s.") % {"documents": ", ".join(missing)})
    return application


def _unique_slug(name: str) -> str:
    base = slugify(name) or "shop"
    slug, n = base, 1
    while Merchant.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def application_approve(*, application: MerchantApplication, operator: User) -> Merchant:
    """Create the merchant, its owner account in the staff group, and tell the applicant."""
    won = MerchantApplication.objects.filter(
        pk=application.pk, status=MerchantApplication.Status.SUBMITTED
    ).update(
        status=MerchantApplication.Status.APPROVED, reviewed_by=operator, reviewed_at=timezone.now()
    )
    if not won:
        raise ApplicationError(_("This application was already reviewed."))
    staff_check(email=application.email)
    if Merchant.objects.filter(uscc=application.uscc).exists():
        raise ApplicationError(_("A shop with this Unified Social Credit Code already exists."))
    merchant = Merchant.objects.create(
        name=application.shop_name,
        slug=_unique_slug(application.shop_name),
        legal_name=application.legal_name,
        uscc=application.uscc,
        contact_name=application.contact_name,
        contact_phone=application.contact_phone,
        email=application.email,
    )
    merchant.categories.set(application.categories.all())
    MerchantApplication.objects.filter(pk=application.pk).update(merchant=merchant)
    owner, created = User.objects.get_or_create(
        email=application.email.lower(), defaults={"name": application.contact_name}
    )
    if created:
        owner.set_unusable_password()
    owner.is_staff = True
    owner.save()
    MerchantStaff.objects.create(user=owner, merchant=merchant, role=MerchantStaff.Role.OWNER)
    owner.groups.add(staff_group())
    application.refresh_from_db()
    if application.partner_id:  # a service provider's application: it manages the shop
        application.partner.merchants.add(merchant)
        events.report(events.APPLICATION_APPROVED, [application])
    transaction.on_commit(lambda: _mail_approved(application, owner))
    return merchant


def _mail_approved(application: MerchantApplication, owner: User) -> None:
    _mail(
        application,
        "application_approved",
        {"set_password_url": set_password_url(owner), "owner": owner},
    )


def _mail(application: MerchantApplication, template: str, context: dict) -> None:
    context = {
        "application": application,
        "admin_url": settings.SITE_URL + reverse("admin:index"),
        **context,
    }
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    send_mail(
        subject, render_to_string(f"emails/{template}.txt", context), None, [application.email]
    )


@transaction.atomic
def application_reject(*, application: MerchantApplication, operator: User, reason: str) -> None:
    if not reason.strip():
        raise ApplicationError(_("Say why the application is rejected; the applicant reads it."))
    won = MerchantApplication.objects.filter(
        pk=application.pk, status=MerchantApplication.Status.SUBMITTED
    ).update(
        status=MerchantApplication.Status.REJECTED,
        rejection_reason=reason.strip(),
        reviewed_by=operator,
        reviewed_at=timezone.now(),
    )
    if not won:
        raise ApplicationError(_("This application was already reviewed."))
    application.refresh_from_db()
    events.report(events.APPLICATION_REJECTED, [application])
    transaction.on_commit(lambda: _mail(application, "application_rejected", {}))


def merchant_suspend(*, merchant: Merchant) -> bool:
    """Hide the shop at once: the storefront shows only active merchants' products.

    Gifts already paid for stay claimable and still expire and refund as usual. Cached
    storefront pages are dropped too, so not even the page cache's second shows the shop.
    """
    suspended = (
        Merchant.objects.filter(pk=merchant.pk, status=Merchant.Status.ACTIVE).update(
            status=Merchant.Status.SUSPENDED
        )
        == 1
    )
    if suspended:
        page_cache.invalidate_all()
    return suspended


def merchant_reinstate(*, merchant: Merchant) -> bool:
    """Back on the storefront at once, cached pages included."""
    reinstated = (
        Merchant.objects.filter(pk=merchant.pk, status=Merchant.Status.SUSPENDED).update(
            status=Merchant.Status.ACTIVE
        )
        == 1
    )
    if reinstated:
        page_cache.invalidate_all()
    return reinstated


def staff_check(*, email: str, merchant: Merchant | None = None) -> None:
    """Refuse people who may not join a shop: operators, or another shop's staff."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        return
    if is_operator(user):
        raise ApplicationError(_("A platform operator's account cannot join a shop."))
    other = MerchantStaff.objects.filter(user=user)
    if merchant is not None:
        other = other.exclude(merchant=merchant)
    if other.exists():
        raise ApplicationError(_("This person already works for another shop."))


@transaction.atomic
def staff_add(*, merchant: Merchant, email: str, name: str = "") -> MerchantStaff:
    """An owner adds a colleague, who is emailed a link to set their password."""
    staff_check(email=email, merchant=merchant)
    user, created = User.objects.get_or_create(email=email.lower(), defaults={"name": name})
    if created:
        user.set_unusable_password()
    user.is_staff = True
    user.save()
    user.groups.add(staff_group())
    staff = MerchantStaff.objects.get_or_create(user=user, defaults={"merchant": merchant})[0]
    if not user.has_usable_password():
        transaction.on_commit(lambda: _mail_set_password(user, merchant))
    return staff


@transaction.atomic
def staff_remove(*, staff: MerchantStaff) -> None:
    """Take someone off a shop: they lose the admin with it, not just the shop's rows."""
    user = staff.user
    staff.delete()
    user.is_staff = False
    user.save(update_fields=["is_staff"])
    user.groups.remove(staff_group())


def set_password_url(user: User) -> str:
    return settings.SITE_URL + reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


def _mail_set_password(user: User, merchant: Merchant) -> None:
    context = {
        "merchant": merchant,
        "set_password_url": set_password_url(user),
        "admin_url": settings.SITE_URL + reverse("admin:index"),
    }
    subject = render_to_string("emails/staff_invited_subject.txt", context).strip()
    send_mail(subject, render_to_string("emails/staff_invited.txt", context), None, [user.email])


def packing_slips_print(*, user: User, order_ids: Collection[int]) -> bytes:
    """The PDF of these orders' packing slips (see `selectors.orders_to_print` for what is
    refused). A slip shows the full address, so each one printed is an address view, logged
    as the shipping page's opening is (one INSERT for all)."""
    orders = orders_to_print(user=user, order_ids=order_ids)
    pdf = slips.packing_slips_pdf(orders)
    AddressAccessLog.objects.bulk_create(
        AddressAccessLog(user=user, order=order) for order in orders
    )
    return pdf
