"""Alibaba Cloud SMS (短信服务, Dysmsapi 2017-05-25 `SendSms`), through its official SDK.

The SDK signs each request (ACS3-HMAC-SHA256 over the canonical request, the V3 scheme);
`ALIBABA_SMS_ENDPOINT` and `ALIBABA_SMS_PROTOCOL` point it at the local emulator
(`shop.emulators.aliyun_sms`) offline. Aliyun sends only approved templates, so a kind is
sent as its template (`ALIBABA_SMS_TEMPLATES`, `kind=SMS_…`, or `kind.en=SMS_…` for
another language's) with the notice's plain context as `TemplateParam`; the text we render
is what the console backend prints, not what Aliyun sends.

`SendSms` answers 200 with `Code` `OK`, or with a business error code. Rate limits and
the provider's own trouble are worth another try later; every other code (a bad number,
a template or sign name not approved, no balance) and a refused signature are not.
"""

import json

from alibabacloud_dysmsapi20170525 import models as sms_models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import utils_models
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from darabonba.exceptions import UnretryableException
from darabonba.runtime import RuntimeOptions
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from . import SmsBackend, SmsError, SmsMessage, SmsRefused

# Codes that mean "not now": flow control per number/minute/hour/day, the service itself.
TRANSIENT_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "Throttling.User",
        "Throttling.Api",
        "ServiceUnavailable",
        "InternalError",
    }
)
PARAM_MAX_CHARS = 35  # a notification template's variable holds at most this many


def template_for(kind: str, language: str) -> str:
    templates = settings.ALIBABA_SMS_TEMPLATES
    code = templates.get(f"{kind}.{language}") or templates.get(kind)
    if not code:
        raise ImproperlyConfigured(f"ALIBABA_SMS_TEMPLATES has no template for {kind!r}.")
    return code


class AliyunSmsBackend(SmsBackend):
    def __init__(self) -> None:
        if not (settings.ALIBABA_SMS_ACCESS_KEY_ID and settings.ALIBABA_SMS_ACCESS_KEY_SECRET):
            raise ImproperlyConfigured("Set ALIBABA_SMS_ACCESS_KEY_ID and _SECRET for Aliyun SMS.")
        self.client = Client(
            utils_models.Config(
                access_key_id=settings.ALIBABA_SMS_ACCESS_KEY_ID,
                access_key_secret=settings.ALIBABA_SMS_ACCESS_KEY_SECRET,
                endpoint=settings.ALIBABA_SMS_ENDPOINT,
                protocol=settings.ALIBABA_SMS_PROTOCOL,
                read_timeout=settings.ALIBABA_SMS_TIMEOUT_SECONDS * 1000,
                connect_timeout=5000,
            )
        )

    def send(self, message: SmsMessage) -> str:
        request = sms_models.SendSmsRequest(
            phone_numbers=message.phone,
            sign_name=settings.ALIBABA_SMS_SIGN_NAME,
            template_code=template_for(message.kind, message.language),
            template_param=json.dumps(
                {k: str(v)[:PARAM_MAX_CHARS] for k, v in message.params.items()},
                ensure_ascii=False,
            ),
            out_id=message.reference[:64],
        )
        try:
            answer = self.client.send_sms_with_options(request, RuntimeOptions()).body
        except AlibabaCloudException as error:  # 4xx/5xx: signature, key, throttling
            text = f"{error.code}: {error.message}"
            if error.code in TRANSIENT_CODES or (error.status_code or 0) >= 500:
                raise SmsError(text) from error
            raise SmsRefused(text) from error
        except UnretryableException as error:  # no answer: connection refused, timeout
            raise SmsError(f"Aliyun SMS did not answer: {error}") from error
        if answer.code != "OK":
            text = f"{answer.code}: {answer.message}"
            raise (SmsError if answer.code in TRANSIENT_CODES else SmsRefused)(text)
        return answer.biz_id or ""
