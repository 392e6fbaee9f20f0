"""System checks (`manage.py check`): an offered provider's keys are there and readable.

A missing or unreadable key would otherwise surface only when the first shopper pays,
or when the first notification fails to verify. Messages name the setting and the file,
never a key's content.
"""

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from .gateway import UnknownGateway, get_gateway, offered_gateways
from .gateways import alipay
from .gateways.wechatpay import NAME as WECHATPAY

REQUIRED = ("WECHATPAY_MCHID", "WECHATPAY_APPID", "WECHATPAY_CERT_SERIAL_NO")


def _read(setting: str, loader: object, what: str) -> list[CheckMessage]:
    path = getattr(settings, setting)
    if not path:
        return [Error(f"{setting} is not set.", hint=f"The path of {what}.", id="payments.E002")]
    try:
        loader(Path(path).read_bytes())
    except OSError as error:
        return [
            Error(
                f"{setting}: cannot read {path} ({error.strerror}).",
                hint=f"The path of {what}, readable by the shop.",
                id="payments.E003",
            )
        ]
    except (ValueError, TypeError):
        return [Error(f"{setting}: {path} is not {what}.", id="payments.E004")]
    return []


def wechatpay_errors() -> list[CheckMessage]:
    errors: list[CheckMessage] = [
        Error(f"{name} is not set.", hint="Required for WeChat Pay.", id="payments.E001")
        for name in REQUIRED
        if not getattr(settings, name)
    ]
    if len(settings.WECHATPAY_APIV3_KEY.encode()) != 32:
        errors.append(
            Error(
                "WECHATPAY_APIV3_KEY is missing or not 32 bytes long.",
                hint="The APIv3 key set in the WeChat Pay merchant platform.",
                id="payments.E005",
            )
        )
    errors += _read(
        "WECHATPAY_PRIVATE_KEY_PATH",
        lambda data: serialization.load_pem_private_key(data, password=None),
        "a PEM merchant private key (apiclient_key.pem)",
    )
    cert, key = settings.WECHATPAY_PLATFORM_CERT_PATH, settings.WECHATPAY_PUBLIC_KEY_PATH
    if not cert and not key:
        errors.append(
            Error(
                "Neither WECHATPAY_PLATFORM_CERT_PATH nor WECHATPAY_PUBLIC_KEY_PATH is set.",
                hint="WeChat Pay's platform certificate or platform public key (or both).",
                id="payments.E006",
            )
        )
    if cert:
        errors += _read(
            "WECHATPAY_PLATFORM_CERT_PATH", x509.load_pem_x509_certificate, "a PEM certificate"
        )
    if key:
        errors += _read(
            "WECHATPAY_PUBLIC_KEY_PATH", serialization.load_pem_public_key, "a PEM public key"
        )
        if not settings.WECHATPAY_PUBLIC_KEY_ID:
            errors.append(
                Error(
                    "WECHATPAY_PUBLIC_KEY_PATH is set without WECHATPAY_PUBLIC_KEY_ID.",
                    hint="The id shown beside the public key (PUB_KEY_ID_…).",
                    id="payments.E007",
                )
            )
    return errors


@register()
def payment_gateways(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """The configured gateways exist, and WeChat Pay's keys when it is offered."""
    try:
        names = offered_gateways()
        for name in names:
            get_gateway(name)
    except (UnknownGateway, ImportError) as error:
        return [Error(f"Unknown payment gateway {error}.", id="payments.E000")]
    return wechatpay_errors() if WECHATPAY in names else []


register(alipay.check_keys)
