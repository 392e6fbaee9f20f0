"""TEMPORARY (issue 14, Alipay branch): the gateway-v2 names the Alipay adapter needs.

They belong in shop/payments/gateway.py, which the WeChat Pay branch owns; this module
stands in for them so that branch and this one can be merged independently. At merge:
delete this file and import these names from shop.payments.gateway in alipay.py (the only
importer). The definitions are copied from the shared gateway-v2 spec, field for field.
"""

from dataclasses import dataclass, field

NATIVE, H5, JSAPI = "native", "h5", "jsapi"
PAGE, WAP = "page", "wap"
REDIRECT = "redirect"


@dataclass(frozen=True)
class Payer:
    """What the pay step knows of the shopper's browser, for the provider to choose a flow."""

    channel: str = ""
    client_ip: str = ""
    openid: str = ""
    user_agent: str = ""


@dataclass(frozen=True)
class PaymentStart:
    provider_reference: str
    redirect_url: str = ""
    qr_code: str = ""
    jsapi_params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class NotificationAnswer:
    status: int
    content_type: str
    body: bytes
