"""Configuration: `manage.py check` names a missing or unusable key, and no key text ever
reaches a message or a repr; a request or answer that does not verify is never taken."""

import base64
import logging
from pathlib import Path

import pytest
from Cryptodome.PublicKey import RSA
from django.core.exceptions import ImproperlyConfigured

from shop.payments.gateway import GatewayError, GatewayTimeout
from shop.payments.gateways.alipay import (
    SETTINGS_PATH,
    AlipayGateway,
    AlipaySettings,
    check_keys,
)
from tests.alipay import APP_ID, PORTS, free_port


@pytest.fixture
def configured(alipay_settings):
    """Alipay chosen, with the emulator's working keys; tests break one setting."""
    return alipay_settings


def _ids(messages):
    return [m.id for m in messages]


def test_nothing_is_checked_when_alipay_is_not_configured(settings):
    settings.PAYMENT_GATEWAY = "shop.payments.gateways.sandbox.SandboxGateway"
    settings.ALIPAY_PRIVATE_KEY_PATH = "/nonexistent"

    assert check_keys() == []


def test_working_settings_pass_the_check(configured):
    assert check_keys() == []


def test_alipay_among_the_other_gateways_is_checked(configured):
    configured.PAYMENT_GATEWAY = "shop.payments.gateways.sandbox.SandboxGateway"
    configured.PAYMENT_GATEWAYS = {"alipay": SETTINGS_PATH}
    configured.ALIPAY_APP_ID = ""

    assert _ids(check_keys()) == ["payments.E201"]


def test_missing_settings_are_each_named(configured):
    configured.ALIPAY_APP_ID = ""
    configured.ALIPAY_PRIVATE_KEY_PATH = ""
    configured.ALIPAY_PUBLIC_KEY_PATH = ""

    messages = check_keys()

    assert _ids(messages) == ["payments.E201", "payments.E202", "payments.E203"]
    assert messages[1].msg == "ALIPAY_PRIVATE_KEY_PATH is not set."


def test_an_unreadable_key_file_is_reported(configured, tmp_path):
    configured.ALIPAY_PRIVATE_KEY_PATH = str(tmp_path)  # a directory

    (message,) = check_keys()

    assert (
        message.msg
        == f"ALIPAY_PRIVATE_KEY_PATH names {tmp_path}, which cannot be read (Is a directory)."
    )


def test_a_public_key_where_the_private_key_belongs_is_reported(configured):
    configured.ALIPAY_PRIVATE_KEY_PATH = configured.ALIPAY_PUBLIC_KEY_PATH

    (message,) = check_keys()

    assert "holds a public key; the app's private key is needed" in message.msg


def test_a_file_holding_no_key_is_reported_without_its_content(configured, tmp_path):
    garbage = tmp_path / "key.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXRleHQ=\n-----END PRIVATE KEY-----\n")
    configured.ALIPAY_PRIVATE_KEY_PATH = str(garbage)

    (message,) = check_keys()

    assert message.msg == f"ALIPAY_PRIVATE_KEY_PATH names {garbage}, which holds no RSA key."


def test_bare_base64_keys_as_alipays_console_shows_them_are_accepted(configured, tmp_path):
    key = RSA.import_key(Path(configured.ALIPAY_PRIVATE_KEY_PATH).read_text())
    bare = tmp_path / "app_private.txt"
    bare.write_text(base64.b64encode(key.export_key(format="DER", pkcs=8)).decode())
    configured.ALIPAY_PRIVATE_KEY_PATH = str(bare)

    assert check_keys() == []


def test_an_adapter_without_usable_keys_fails_naming_the_setting(configured, tmp_path):
    configured.ALIPAY_PUBLIC_KEY_PATH = str(tmp_path / "missing.pem")
    gateway = AlipayGateway()  # naming it needs no keys (the system check does)

    with pytest.raises(ImproperlyConfigured, match=r"ALIPAY_PUBLIC_KEY_PATH names .*missing\.pem"):
        _ = gateway.client


def test_the_private_key_shows_in_no_repr_and_is_not_kept_as_text(alipay_gateway):
    gateway, _ = alipay_gateway
    pem = Path(gateway.config.private_key_path).read_text()
    key = RSA.import_key(pem)

    assert repr(gateway.client.app_private_key) == "<RSA key>"
    assert str(key.d) not in repr(vars(gateway.client))
    assert pem not in repr(vars(gateway.client))


def _adapter(emulator, **changes):
    config = AlipaySettings(
        app_id=APP_ID,
        private_key_path=str(emulator.keys_dir / "app_private.pem"),
        public_key_path=str(emulator.keys_dir / "alipay_public.pem"),
        gateway_url=emulator.gateway_url,
        timeout=1.0,
    )
    return AlipayGateway(AlipaySettings(**{**vars(config), **changes}))


def test_a_request_signed_with_another_key_is_refused(alipay_emulator, tmp_path):
    other = tmp_path / "other_private.pem"
    other.write_text(RSA.generate(2048).export_key(pkcs=8).decode())
    gateway = _adapter(alipay_emulator, private_key_path=str(other))

    with pytest.raises(GatewayError, match=r"rejected the alipay\.trade\.query request") as raised:
        gateway.query_payment(reference="P1")

    assert not isinstance(raised.value, GatewayTimeout)


def test_a_request_for_another_app_is_refused(alipay_emulator):
    gateway = _adapter(alipay_emulator, app_id="2021999999999999")

    with pytest.raises(GatewayError, match="rejected"):
        gateway.query_payment(reference="P1")


def test_an_answer_that_fails_its_signature_check_is_an_unknown_outcome(alipay_emulator):
    # The app's own public key is not Alipay's: the emulator's answers will not verify.
    gateway = _adapter(
        alipay_emulator, public_key_path=str(alipay_emulator.keys_dir / "app_public.pem")
    )

    with pytest.raises(GatewayTimeout, match="failed its signature check"):
        gateway.query_payment(reference="P1")


def test_an_unreachable_gateway_is_an_unknown_outcome(alipay_emulator):
    port = free_port()  # free now: nothing answers there
    assert port in PORTS
    gateway = _adapter(alipay_emulator, gateway_url=f"http://127.0.0.1:{port}/gateway.do")

    with pytest.raises(GatewayTimeout, match="No usable answer"):
        gateway.query_payment(reference="P1")


def test_the_sdks_logger_writes_only_through_the_shops_logging():
    sdk = logging.getLogger("python-alipay-sdk")

    assert (sdk.handlers, sdk.level, sdk.propagate) == ([], logging.WARNING, True)
