"""`manage.py check` says which WeChat Pay key is missing or unreadable, never its content."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from shop.payments.checks import wechatpay_errors


def _ids(errors) -> set[str]:
    return {error.id for error in errors}


def test_a_configured_wechatpay_has_no_errors(wechatpay_settings) -> None:
    assert wechatpay_errors() == []


def test_a_missing_private_key_is_named(wechatpay_settings, settings, tmp_path) -> None:
    settings.WECHATPAY_PRIVATE_KEY_PATH = str(tmp_path / "apiclient_key.pem")

    (error,) = wechatpay_errors()

    assert error.id == "payments.E003"
    assert "WECHATPAY_PRIVATE_KEY_PATH: cannot read" in error.msg


def test_a_file_that_is_not_a_key_is_named(wechatpay_settings, settings, tmp_path) -> None:
    path = tmp_path / "key.pem"
    path.write_text("not a key")
    settings.WECHATPAY_PUBLIC_KEY_PATH = str(path)

    assert _ids(wechatpay_errors()) == {"payments.E004"}


def test_no_platform_key_at_all_is_an_error(wechatpay_settings, settings) -> None:
    settings.WECHATPAY_PLATFORM_CERT_PATH = settings.WECHATPAY_PUBLIC_KEY_PATH = ""

    assert _ids(wechatpay_errors()) == {"payments.E006"}


def test_check_fails_when_wechatpay_is_offered_without_keys(settings) -> None:
    settings.PAYMENT_METHODS = ["wechatpay"]
    settings.WECHATPAY_APIV3_KEY = "short"

    with pytest.raises(SystemCheckError, match="WECHATPAY_APIV3_KEY is missing or not 32 bytes"):
        call_command("check")
