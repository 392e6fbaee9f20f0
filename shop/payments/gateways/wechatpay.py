"""WeChat Pay API v3 (direct merchant) as a `PaymentGateway`, on the `wechatpayv3` library.

The library signs our requests (WECHATPAY2-SHA256-RSA2048) and verifies the signatures
on WeChat Pay's answers; this adapter picks the flow for the browser (Native QR code on
desktops, H5 on other phones, JSAPI inside WeChat with the snsapi_base OAuth step for the
payer's openid), verifies and decrypts notifications itself (so that the platform
certificate and the platform public key can both be trusted at once, chosen by
`Wechatpay-Serial`, and stale timestamps refused), and reads the daily bills.

Money: WeChat Pay counts integer fen; converted exactly with Decimal, never float.
Secrets (the private key, the APIv3 key, the AppSecret) never go into a message or a log.
"""

import binascii
import csv
import gzip
import hashlib
import io
import json
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote, urlencode

import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from django.conf import settings
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.utils import aes_decrypt, rsa_verify

from shop.payments.gateway import (
    H5,
    JSAPI,
    NATIVE,
    GatewayError,
    GatewayTimeout,
    InvalidNotification,
    Notification,
    NotificationAnswer,
    Payer,
    PaymentStart,
    ProviderRecord,
    RefundResult,
)

NAME = "wechatpay"
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
# WeChat Pay's own advice: refuse a notification whose timestamp is more than 5 minutes off.
TIMESTAMP_TOLERANCE_SECONDS = 300
FEN = Decimal("0.01")
MOBILE_HINTS = ("Mobile", "Android", "iPhone", "iPad")
TRADE_STATES = {  # trade_state → ProviderRecord.status
    "SUCCESS": "succeeded",
    "REFUND": "succeeded",  # paid, then (partly) refunded: the payment itself happened
    "NOTPAY": "pending",
    "USERPAYING": "pending",
    "CLOSED": "failed",
    "REVOKED": "failed",
    "PAYERROR": "failed",
}
REFUND_STATES = {"SUCCESS": "succeeded", "PROCESSING": "pending"}  # else (CLOSED, ABNORMAL) failed


@dataclass(frozen=True)
class Config:
    """The WECHATPAY_* settings (see shop/settings.py and the README)."""

    mchid: str
    appid: str
    app_secret: str
    cert_serial_no: str
    private_key_path: str
    apiv3_key: str
    platform_cert_path: str
    public_key_path: str
    public_key_id: str
    api_base: str
    oauth_base: str
    sns_base: str
    timeout: float

    @classmethod
    def from_settings(cls) -> "Config":
        return cls(
            mchid=settings.WECHATPAY_MCHID,
            appid=settings.WECHATPAY_APPID,
            app_secret=settings.WECHATPAY_APP_SECRET,
            cert_serial_no=settings.WECHATPAY_CERT_SERIAL_NO,
            private_key_path=settings.WECHATPAY_PRIVATE_KEY_PATH,
            apiv3_key=settings.WECHATPAY_APIV3_KEY,
            platform_cert_path=settings.WECHATPAY_PLATFORM_CERT_PATH,
            public_key_path=settings.WECHATPAY_PUBLIC_KEY_PATH,
            public_key_id=settings.WECHATPAY_PUBLIC_KEY_ID,
            api_base=settings.WECHATPAY_API_BASE.rstrip("/"),
            oauth_base=settings.WECHATPAY_OAUTH_BASE.rstrip("/"),
            sns_base=settings.WECHATPAY_SNS_BASE.rstrip("/"),
            timeout=settings.WECHATPAY_TIMEOUT_SECONDS,
        )

    def __repr__(self) -> str:  # never the APIv3 key or the AppSecret, not even in a traceback
        return f"Config(mchid={self.mchid!r}, api_base={self.api_base!r})"


def certificate_serial(certificate: x509.Certificate) -> str:
    """A certificate's serial as WeChat Pay writes it in Wechatpay-Serial (upper-case hex)."""
    return format(certificate.serial_number, "X")


def platform_keys(config: Config) -> dict[str, RSAPublicKey]:
    """The keys WeChat Pay may sign with, by the serial it names in Wechatpay-Serial: the
    platform public key under its id, the platform certificate's under its serial."""
    keys: dict[str, RSAPublicKey] = {}
    if config.public_key_path:
        keys[config.public_key_id] = serialization.load_pem_public_key(
            Path(config.public_key_path).read_bytes()
        )
    if config.platform_cert_path:
        certificate = x509.load_pem_x509_certificate(Path(config.platform_cert_path).read_bytes())
        keys[certificate_serial(certificate)] = certificate.public_key()
    return keys


def to_fen(amount: Decimal) -> int:
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise GatewayError("An amount in CNY has at most two decimals.")
    return int(fen)


def from_fen(fen: object) -> Decimal:
    if type(fen) is not int:
        raise ValueError("an amount in fen is an integer")
    return (Decimal(fen) / 100).quantize(FEN)


@lru_cache(maxsize=4)
def _client(config: Config) -> WeChatPay:
    """The library's client for one configuration (keys are read once per process).

    The library verifies answers with one platform public key given up front (otherwise it
    downloads certificates itself at start): the configured public key, else the platform
    certificate's key under the certificate's serial; with both, the certificate is added
    to the ones it knows, so answers signed with either verify.
    """
    keys = platform_keys(config)
    serial, key = next(iter(keys.items()))
    client = WeChatPay(
        wechatpay_type=WeChatPayType.NATIVE,
        mchid=config.mchid,
        private_key=Path(config.private_key_path).read_text(),
        cert_serial_no=config.cert_serial_no,
        appid=config.appid,
        apiv3_key=config.apiv3_key,
        timeout=(5, config.timeout),
        public_key=key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode(),
        public_key_id=serial,
    )
    # The library has no setting for the API's address; the emulator needs another one.
    client._core._gate_way = config.api_base
    if config.public_key_path and config.platform_cert_path:
        certificate = x509.load_pem_x509_certificate(Path(config.platform_cert_path).read_bytes())
        client._core._certificates.append(certificate)
    return client


@dataclass(frozen=True)
class Answer:
    status: int
    data: dict
    raw: bytes = b""


class WeChatPayGateway:
    name = NAME
    daily_bills = True  # records() needs a day: reconcile defaults to yesterday

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config.from_settings()

    @property
    def client(self) -> WeChatPay:
        return _client(self.config)

    def _call(self, method: Callable[..., tuple[int, object]], **kwargs: object) -> Answer:
        """One API call: no answer (or WeChat's SYSTEM_ERROR) is a timeout, as its outcome
        is unknown; an answer that does not verify is an error."""
        try:
            status, message = method(**kwargs)
        except requests.RequestException as error:
            raise GatewayTimeout(f"WeChat Pay did not answer ({type(error).__name__}).") from error
        except Exception as error:  # the library raises bare Exception (bad signature, say)
            raise GatewayError(f"WeChat Pay's answer was refused: {error}") from error
        if isinstance(message, bytes):
            return Answer(status, {}, message)
        try:
            data = json.loads(message) if message else {}
        except ValueError:
            data = {}
        if status >= 500:
            raise GatewayTimeout(f"WeChat Pay answered {status} {data.get('code', '')}.")
        return Answer(status, data if isinstance(data, dict) else {})

    @staticmethod
    def _refused(answer: Answer) -> GatewayError:
        code, message = answer.data.get("code", ""), answer.data.get("message", "")
        return GatewayError(f"WeChat Pay refused ({answer.status} {code}): {message}"[:300])

    # --- Paying ------------------------------------------------------------------------

    def channels(self, payer: Payer) -> list[str]:
        if "MicroMessenger" in payer.user_agent:
            return [JSAPI, NATIVE]
        if any(hint in payer.user_agent for hint in MOBILE_HINTS):
            return [H5, NATIVE]
        return [NATIVE]

    def start_payment(
        self,
        *,
        reference: str,
        amount: Decimal,
        description: str,
        return_url: str,
        notify_url: str,
        payer: Payer,
    ) -> PaymentStart:
        channel = payer.channel or self.channels(payer)[0]
        order = {
            "description": description[:127] or reference,
            "out_trade_no": reference,
            "amount": {"total": to_fen(amount), "currency": "CNY"},
            "notify_url": notify_url,
        }
        if channel == NATIVE:
            answer = self._call(self.client.pay, pay_type=WeChatPayType.NATIVE, **order)
            if answer.status != 200 or "code_url" not in answer.data:
                raise self._refused(answer)
            return PaymentStart(provider_reference=reference, qr_code=answer.data["code_url"])
        if channel == H5:
            scene = {"payer_client_ip": payer.client_ip or "127.0.0.1", "h5_info": {"type": "Wap"}}
            answer = self._call(
                self.client.pay, pay_type=WeChatPayType.H5, scene_info=scene, **order
            )
            if answer.status != 200 or "h5_url" not in answer.data:
                raise self._refused(answer)
            # WeChat's H5 page sends the payer back to redirect_url (urlencoded) afterwards.
            back = f"&redirect_url={quote(return_url, safe='')}"
            return PaymentStart(
                provider_reference=reference, redirect_url=answer.data["h5_url"] + back
            )
        if channel == JSAPI:
            if not payer.openid:
                raise GatewayError("A JSAPI payment needs the payer's openid.")
            answer = self._call(
                self.client.pay,
                pay_type=WeChatPayType.JSAPI,
                payer={"openid": payer.openid},
                **order,
            )
            if answer.status != 200 or "prepay_id" not in answer.data:
                raise self._refused(answer)
            prepay_id = answer.data["prepay_id"]
            return PaymentStart(provider_reference=prepay_id, jsapi_params=self._jsapi(prepay_id))
        raise GatewayError(f"WeChat Pay has no channel {channel!r}.")

    def _jsapi(self, prepay_id: str) -> dict:
        """The parameters for WeixinJSBridge's getBrandWCPayRequest, signed as documented:
        appId, timeStamp, nonceStr and package, one a line."""
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        package = f"prepay_id={prepay_id}"
        return {
            "appId": self.config.appid,
            "timeStamp": timestamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": self.client.sign([self.config.appid, timestamp, nonce, package]),
        }

    def oauth_authorize_url(self, *, redirect_uri: str, state: str) -> str:
        """The snsapi_base authorization page (silent inside WeChat): back with a code."""
        query = urlencode(
            {
                "appid": self.config.appid,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": "snsapi_base",
                "state": state,
            }
        )
        return f"{self.config.oauth_base}/connect/oauth2/authorize?{query}#wechat_redirect"

    def oauth_openid(self, *, code: str) -> str:
        """The payer's openid for the code the authorization page gave back."""
        try:
            response = requests.get(
                f"{self.config.sns_base}/sns/oauth2/access_token",
                params={
                    "appid": self.config.appid,
                    "secret": self.config.app_secret,
                    "code": code,
                    "grant_type": "authorization_code",
                },
                timeout=(5, self.config.timeout),
            )
            data = response.json()
        except (requests.RequestException, ValueError) as error:
            raise GatewayTimeout("WeChat's OAuth service did not answer.") from error
        if not isinstance(data, dict) or not data.get("openid"):
            errcode = data.get("errcode", "") if isinstance(data, dict) else ""
            raise GatewayError(f"WeChat's OAuth service refused the code ({errcode}).")
        return str(data["openid"])

    # --- Notifications -----------------------------------------------------------------

    def parse_notification(self, *, body: bytes, headers: Mapping[str, str]) -> Notification:
        """Verify Wechatpay-Signature over "timestamp\\nnonce\\nbody\\n" with the key the
        Wechatpay-Serial names, refuse a stale timestamp, then decrypt the resource
        (AEAD_AES_256_GCM with the APIv3 key)."""
        header = {key.lower(): value for key, value in headers.items()}
        key = self._platform_keys().get(header.get("wechatpay-serial", ""))
        if key is None:
            raise InvalidNotification("Unknown Wechatpay-Serial.")
        if header.get("wechatpay-signature-type", SIGNATURE_TYPE) != SIGNATURE_TYPE:
            raise InvalidNotification("Unsupported Wechatpay-Signature-Type.")
        timestamp = header.get("wechatpay-timestamp", "")
        if (
            not timestamp.isdigit()
            or abs(time.time() - int(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS
        ):
            raise InvalidNotification("Missing or stale Wechatpay-Timestamp.")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidNotification("The body is not UTF-8.") from error
        nonce, signature = header.get("wechatpay-nonce", ""), header.get("wechatpay-signature", "")
        if not rsa_verify(timestamp, nonce, text, signature, key):
            raise InvalidNotification("Bad Wechatpay-Signature.")
        try:
            event = json.loads(text)
            resource = event["resource"]
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise InvalidNotification("Unsupported resource algorithm.")
            plain = aes_decrypt(
                nonce=resource["nonce"],
                ciphertext=resource["ciphertext"],
                associated_data=resource.get("associated_data") or "",
                apiv3_key=self.config.apiv3_key,
            )
            if plain is None:
                raise InvalidNotification("The resource does not decrypt with our APIv3 key.")
            return self._notification(event, json.loads(plain))
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as error:
            raise InvalidNotification("Malformed notification body.") from error

    def _notification(self, event: dict, data: dict) -> Notification:
        if data.get("mchid") != self.config.mchid:
            raise InvalidNotification("A notification for another merchant.")
        event_type = str(event["event_type"])
        # The payer's openid is personal data and not needed to apply the notification.
        kept = {k: v for k, v in data.items() if k != "payer"}
        payload = {"id": event["id"], "event_type": event_type, "resource": kept}
        if event_type == "TRANSACTION.SUCCESS" and data.get("trade_state") == "SUCCESS":
            return Notification(
                event_id=str(event["id"]),
                event_type=Notification.PAYMENT_SUCCEEDED,
                reference=str(data["out_trade_no"]),
                provider_reference=str(data["transaction_id"]),
                amount=from_fen(data["amount"]["total"]),
                payload=payload,
            )
        if event_type in ("REFUND.SUCCESS", "REFUND.ABNORMAL", "REFUND.CLOSED"):
            succeeded = event_type == "REFUND.SUCCESS" and data.get("refund_status") == "SUCCESS"
            return Notification(
                event_id=str(event["id"]),
                event_type=Notification.REFUND_SUCCEEDED
                if succeeded
                else Notification.REFUND_FAILED,
                reference=str(data["out_refund_no"]),
                provider_reference=str(data["refund_id"]),
                amount=from_fen(data["amount"]["refund"]),
                payload=payload,
            )
        # Anything else is recorded once and otherwise left alone (and not asked again).
        return Notification(
            event_id=str(event["id"]),
            event_type=f"{NAME}.{event_type}",
            reference=str(data.get("out_trade_no", "")),
            provider_reference=str(data.get("transaction_id", "")),
            amount=Decimal("0.00"),
            payload=payload,
        )

    def _platform_keys(self) -> dict[str, RSAPublicKey]:
        return _cached_platform_keys(self.config)

    def answer(self, error: str | None) -> NotificationAnswer:
        """WeChat Pay's documented reply: 204 and no body when received; 4xx with
        {"code": "FAIL", "message": …} when not (it then delivers again later)."""
        if error is None:
            return NotificationAnswer(204, "application/json", b"")
        body = json.dumps({"code": "FAIL", "message": error}, ensure_ascii=False).encode()
        return NotificationAnswer(400, "application/json", body)

    # --- Refunds, queries, close ----------------------------------------------------------

    def refund(
        self,
        *,
        payment_reference: str,
        idempotency_key: str,
        amount: Decimal,
        notify_url: str,
        payment_amount: Decimal,
    ) -> RefundResult:
        """`out_refund_no` is our idempotency key. One already made (its answer lost to a
        timeout, or still PROCESSING) is queried, not asked for again."""
        known = self._refund_answer(idempotency_key)
        if known is None:
            answer = self._call(
                self.client.refund,
                out_refund_no=idempotency_key,
                out_trade_no=payment_reference,
                amount={
                    "refund": to_fen(amount),
                    "total": to_fen(payment_amount),
                    "currency": "CNY",
                },
                notify_url=notify_url,
            )
            if answer.status != 200:
                raise self._refused(answer)
            known = answer.data
        status = REFUND_STATES.get(known.get("status", ""), "failed")
        return RefundResult(
            status=status,
            provider_reference=str(known.get("refund_id", "")),
            failure_reason="" if status != "failed" else f"WeChat Pay: {known.get('status', '')}",
        )

    def _refund_answer(self, out_refund_no: str) -> dict | None:
        answer = self._call(self.client.query_refund, out_refund_no=out_refund_no)
        if answer.status == 404:
            return None
        if answer.status != 200:
            raise self._refused(answer)
        return answer.data

    def query_payment(self, *, reference: str) -> ProviderRecord | None:
        answer = self._call(self.client.query, out_trade_no=reference)
        if answer.status == 404:
            return None
        if answer.status != 200:
            raise self._refused(answer)
        data = answer.data
        return ProviderRecord(
            kind="payment",
            reference=reference,
            provider_reference=str(data.get("transaction_id", "")),
            amount=from_fen(data["amount"]["total"]),
            status=TRADE_STATES.get(data.get("trade_state", ""), "failed"),
        )

    def query_refund(
        self, *, idempotency_key: str, payment_reference: str = ""
    ) -> ProviderRecord | None:
        data = self._refund_answer(idempotency_key)
        if data is None:
            return None
        return ProviderRecord(
            kind="refund",
            reference=idempotency_key,
            provider_reference=str(data.get("refund_id", "")),
            amount=from_fen(data["amount"]["refund"]),
            status=REFUND_STATES.get(data.get("status", ""), "failed"),
        )

    def close_payment(self, *, reference: str) -> None:
        answer = self._call(self.client.close, out_trade_no=reference)
        if answer.status in (200, 204, 404):
            return
        if answer.data.get("code") == "ORDERPAID":
            raise GatewayError("This WeChat Pay order is paid; refund it instead of closing it.")
        raise self._refused(answer)

    # --- Bills ----------------------------------------------------------------------------

    def records(self, day: date | None = None) -> Iterable[ProviderRecord]:
        """The day's trade bill (SUCCESS: payments) and refund bill (REFUND), downloaded,
        checked against their SHA1 and read row by row."""
        if day is None:
            raise GatewayError("WeChat Pay keeps its books as daily bills: give a date.")
        for bill_type in ("SUCCESS", "REFUND"):
            yield from _bill_records(self._bill(day, bill_type))

    def _bill(self, day: date, bill_type: str) -> str:
        answer = self._call(
            self.client.trade_bill, bill_date=day.isoformat(), bill_type=bill_type, tar_type="GZIP"
        )
        if answer.status == 400 and answer.data.get("code") == "NO_STATEMENT_EXIST":
            return ""  # no trade of this kind on that day
        if answer.status != 200:
            raise self._refused(answer)
        download = self._call(self.client.download_bill, url=answer.data["download_url"])
        if download.status != 200:
            raise self._refused(download)
        try:
            content = gzip.decompress(download.raw)
        except (OSError, EOFError) as error:
            raise GatewayError("WeChat Pay's bill is not a gzip file.") from error
        if hashlib.sha1(content).hexdigest() != str(answer.data.get("hash_value", "")).lower():
            raise GatewayError("WeChat Pay's bill does not match its SHA1.")
        return content.decode("utf-8-sig")


@lru_cache(maxsize=4)
def _cached_platform_keys(config: Config) -> dict[str, RSAPublicKey]:
    return platform_keys(config)


def _bill_records(text: str) -> Iterator[ProviderRecord]:
    """Rows of a bill: a header, rows whose every field starts with a backquote, then the
    summary (总交易单数, …) which is skipped."""
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None:
        return
    for row in rows:
        if not row or not row[0].startswith("`"):
            break  # the summary
        line = dict(zip(header, (field.removeprefix("`") for field in row), strict=False))
        if line["交易状态"] == "REFUND":
            yield ProviderRecord(
                kind="refund",
                reference=line["商户退款单号"],
                provider_reference=line["微信退款单号"],
                amount=Decimal(line["申请退款金额"]),
                status=REFUND_STATES.get(line["退款状态"], "failed"),
            )
        else:
            yield ProviderRecord(
                kind="payment",
                reference=line["商户订单号"],
                provider_reference=line["微信订单号"],
                amount=Decimal(line["订单金额"]),
                status=TRADE_STATES.get(line["交易状态"], "failed"),
            )
