import re

import pytest
from django.core import mail
from django.urls import reverse

from shop.accounts.models import Address, User
from tests.factories import AddressFactory, UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = {
    "recipient_name": "李四",
    "phone": "+86 139 1234 5678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "street": "文三路 1 号",
    "postcode": "310000",
}


def test_signing_up_creates_the_account_and_logs_in(client) -> None:
    response = client.post(
        reverse("accounts:signup"),
        {
            "name": "王小明",
            "email": "Ming@Example.com",
            "password1": "gift-shop-2026!",
            "password2": "gift-shop-2026!",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="ming@example.com")
    assert user.check_password("gift-shop-2026!")
    assert client.get(reverse("accounts:profile")).context["user"] == user


def test_signing_up_twice_with_one_email_is_refused(client) -> None:
    UserFactory(email="ming@example.com")
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "MING@example.com",
            "password1": "gift-shop-2026!",
            "password2": "gift-shop-2026!",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "already exists" in response.text
    assert User.objects.count() == 1


# Valid addresses (Django's validator allows up to 320 characters) longer than the column.
LONG_EMAILS = [
    "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".com",  # 255
    "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 59 + ".com",  # 320
]


@pytest.mark.parametrize("email", LONG_EMAILS, ids=len)
def test_an_email_longer_than_254_characters_is_a_form_error(client, email: str) -> None:
    response = client.post(
        reverse("accounts:signup"),
        {"email": email, "password1": "gift-shop-2026!", "password2": "gift-shop-2026!"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        f"Ensure this value has at most 254 characters (it has {len(email)})."
    ]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("password1", "password2", "message"),
    [("gift-shop-2026!", "different-2026!", "differ"), ("123", "123", "too short")],
)
def test_signup_explains_bad_passwords(
    client, password1: str, password2: str, message: str
) -> None:
    response = client.post(
        reverse("accounts:signup"),
        {"email": "a@example.com", "password1": password1, "password2": password2},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert message in response.text
    assert not User.objects.exists()


def test_login_with_email_and_logout(client) -> None:
    UserFactory(email="ming@example.com")
    response = client.post(
        reverse("accounts:login"),
        {"username": "ming@example.com", "password": "correct-horse-battery"},
    )
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    client.post(reverse("accounts:logout"))
    assert "_auth_user_id" not in client.session


def test_login_with_a_wrong_password_shows_an_error(client) -> None:
    UserFactory(email="ming@example.com")
    response = client.post(
        reverse("accounts:login"),
        {"username": "ming@example.com", "password": "nope"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "correct email" in response.text


def test_password_reset_sends_a_working_link(client) -> None:
    UserFactory(email="ming@example.com")
    client.post(reverse("accounts:password_reset"), {"email": "ming@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(
        r"https?://[^/]+(/account/password-reset/\S+/\S+/)", mail.outbox[0].body
    ).group(1)
    form_url = client.get(link).url
    response = client.post(
        form_url, {"new_password1": "brand-new-2026!", "new_password2": "brand-new-2026!"}
    )
    assert response.status_code == 302
    assert User.objects.get().check_password("brand-new-2026!")


def test_profile_requires_login(client) -> None:
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_adding_an_address_normalises_the_phone_and_makes_it_default(client) -> None:
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("accounts:address_add"), ADDRESS)
    assert response.status_code == 302
    address = Address.objects.get(user=user)
    assert address.phone == "13912345678"
    assert address.is_default


def test_full_width_digits_are_saved_as_ascii(client) -> None:
    user = UserFactory()
    client.force_login(user)
    typed = {**ADDRESS, "phone": "＋８６ １３９ １２３４ ５６７８", "postcode": "３１００００"}
    assert client.post(reverse("accounts:address_add"), typed).status_code == 302
    address = Address.objects.get(user=user)
    assert (address.phone, address.postcode) == ("13912345678", "310000")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "11-digit"),
        ("phone", "", "required"),
        ("phone", "١٣٩١٢٣٤٥٦٧٨", "11-digit"),
        ("province", "Atlantis", "valid choice"),
        ("postcode", "12", "6 digits"),
        ("postcode", "३१००००", "6 digits"),
        ("street", "", "required"),
    ],
)
def test_a_bad_address_is_refused_with_a_message(
    client, field: str, value: str, message: str
) -> None:
    client.force_login(UserFactory())
    response = client.post(
        reverse("accounts:address_add"), {**ADDRESS, field: value}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert message in response.text
    assert not Address.objects.exists()


def test_another_users_address_is_a_404(client) -> None:
    theirs = AddressFactory()
    client.force_login(UserFactory())
    assert client.get(reverse("accounts:address_edit", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("accounts:address_delete", args=[theirs.pk])).status_code == 404
    assert Address.objects.filter(pk=theirs.pk).exists()


def test_deleting_the_default_address_promotes_the_newest_other(client) -> None:
    user = UserFactory()
    default = AddressFactory(user=user, is_default=True)
    AddressFactory(user=user)
    newest = AddressFactory(user=user)
    client.force_login(user)
    client.post(reverse("accounts:address_delete", args=[default.pk]))
    newest.refresh_from_db()
    assert newest.is_default
    assert Address.objects.filter(user=user, is_default=True).count() == 1


def test_making_an_address_default_moves_the_flag(client) -> None:
    user = UserFactory()
    old = AddressFactory(user=user, is_default=True)
    new = AddressFactory(user=user)
    client.force_login(user)
    client.post(reverse("accounts:address_default", args=[new.pk]))
    old.refresh_from_db()
    new.refresh_from_db()
    assert new.is_default and not old.is_default
