"""Writes for accounts: sign-up and the address book."""

from django.conf import settings
from django.db import transaction

from shop.privacy import consent

from .models import Address, User

ADDRESS_FIELDS = ("recipient_name", "phone", "province", "city", "district", "street", "postcode")


def user_create(*, email: str, password: str, name: str = "", language: str = "") -> User:
    return User.objects.create_user(
        email=email, password=password, name=name, language=language or settings.LANGUAGE_CODE
    )


@transaction.atomic
def shopper_signup(*, email: str, password: str, name: str = "", language: str = "") -> User:
    """A shopper's own sign-up: the account (its emails in the language they signed up in)
    and their consent to the privacy notice."""
    user = user_create(email=email, password=password, name=name, language=language)
    consent.consent_record(purpose=consent.Consent.Purpose.SIGNUP, user=user)
    return user


@transaction.atomic
def address_save(
    *, user: User, data: dict, address: Address | None = None, make_default: bool = False
) -> Address:
    """Create or update an address; the first address, or one asked for, becomes the default."""
    if address is None:
        address = Address(user=user)
    for field in ADDRESS_FIELDS:
        setattr(address, field, data.get(field, ""))
    has_other_default = (
        Address.objects.filter(user=user, is_default=True).exclude(pk=address.pk).exists()
    )
    if make_default or not has_other_default:
        Address.objects.filter(user=user, is_default=True).exclude(pk=address.pk).update(
            is_default=False
        )
        address.is_default = True
    address.full_clean()
    address.save()
    return address


@transaction.atomic
def address_set_default(*, address: Address) -> None:
    Address.objects.filter(user_id=address.user_id, is_default=True).update(is_default=False)
    Address.objects.filter(pk=address.pk).update(is_default=True)


@transaction.atomic
def address_delete(*, address: Address) -> None:
    """Delete an address; if it was the default, the newest remaining one takes over."""
    user_id, was_default = address.user_id, address.is_default
    address.delete()
    if was_default:
        successor = Address.objects.filter(user_id=user_id).order_by("-created_at").first()
        if successor:
            Address.objects.filter(pk=successor.pk).update(is_default=True)


def user_set_language(*, user: User, language: str) -> None:
    """The language they picked on the site is the one their emails are written in."""
    if language in dict(settings.LANGUAGES):
        User.objects.filter(pk=user.pk).exclude(language=language).update(language=language)
