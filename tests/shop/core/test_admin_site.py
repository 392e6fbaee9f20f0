"""Operators' optional second factor (TOTP, django-otp) at the admin login."""

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _operator(*, device: bool) -> tuple[object, TOTPDevice | None]:
    user = UserFactory(is_staff=True, is_superuser=True)
    found = TOTPDevice.objects.create(user=user, name="phone") if device else None
    return user, found


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


def _admin_login(client, user, **extra: str):
    data = {"username": user.email, "password": PASSWORD, "next": "/admin/", **extra}
    return client.post(reverse("admin:login"), data)


def test_an_operator_without_a_device_signs_in_with_the_password(client) -> None:
    user, _ = _operator(device=False)
    assert _admin_login(client, user).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_an_operator_with_a_device_is_asked_for_the_code(client) -> None:
    user, _ = _operator(device=True)
    response = _admin_login(client, user)
    assert response.status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302


def test_an_operator_with_a_device_signs_in_with_the_right_code(client) -> None:
    user, device = _operator(device=True)
    response = _admin_login(client, user, otp_device=device.persistent_id, otp_token=_code(device))
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_shop_login_does_not_open_the_admin_to_an_operator_with_a_device(client) -> None:
    user, _ = _operator(device=True)
    client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
