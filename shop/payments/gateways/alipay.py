"""The Alipay adapter (open platform gateway, RSA2), on python-alipay-sdk.

- Paying: `alipay.trade.wap.pay` on phones, `alipay.trade.page.pay` on desktops. Both are
  a signed redirect to the gateway; Alipay sends the shopper back to `return_url`, which
  is never trusted: only the verified async notification marks a payment paid.
- Notifications: form-encoded `trade_status_sync`, verified with Alipay's public key
  over the sorted `k=v` pairs without `sign`/`sign_type`; app_id and total_amount are
  checked; the answer is the bare word `success` (anything else makes Alipay resend).
- Refunds: `alipay.trade.refund` with `out_request_no` = our idempotency key, so a retry
  after an unclear answer refunds once; an unclear answer is settled by
  `alipay.trade.fastpay.refund.query`. Alipay issues no refund id: a refund is named by
  its out_request_no within its trade, so that is its provider reference here.
- Reconciliation: the day's trade bill via `alipay.data.dataservice.bill.downloadurl.query`
  (a zip of GBK CSVs; trade and refund rows).

Alipay's answers are `code` 10000 for success; otherwise `sub_code` says why. A known
refusal raises GatewayError; ACQ.SYSTEM_ERROR, an unknown sub_code, no answer or an answer
whose signature fails raise GatewayTimeout: the outcome is unknown, ask again with the
same key. Keys never reach a message, a log line or a traceback's locals (see _Client).
"""

import csv
import io
import itertools
import logging
import re
import urllib.request
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig
from Cryptodome.PublicKey import RSA
from Cryptodome.PublicKey.RSA import RsaKey
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from shop.core import money
from shop.payments.gateway import (
    PAGE,
    WAP,
    GatewayError,
    GatewayTimeout,
    InvalidNotification,
    Notification,
    NotificationAnswer,
    Payer,
    PaymentStart,
    ProviderRecord,
    RefundResult,
    offered_gateways,
)

logger = logging.getLogger(__name__)
# Importing the SDK runs logging.config.dictConfig() (alipay/loggers.py): its logger gets a
# DEBUG console handler of its own, beside LOGGING's, for the signed request data it logs
# when verbose (which we never set). Undo that: its lines, if any, go through ours.
logging.getLogger("python-alipay-sdk").handlers.clear()
logging.getLogger("python-alipay-sdk").setLevel(logging.WARNING)

BEIJING = ZoneInfo("Asia/Shanghai")
SUCCESS = "10000"
PAY_METHODS = {PAGE: "alipay.trade.page.pay", WAP: "alipay.trade.wap.pay"}
# The SDK's wap.pay wrapper sends QUICK_WAP_PAY; Alipay documents QUICK_WAP_WAY.
PRODUCT_CODES = {PAGE: "FAST_INSTANT_TRADE_PAY", WAP: "QUICK_WAP_WAY"}
PHONE = re.compile(r"Mobile|Android|iPhone|iPod|HarmonyOS|Windows Phone", re.IGNORECASE)
# Characters Alipay does not accept in a subject.
SUBJECT_UNSAFE = re.compile(r"[/=&]")
# Sub-codes that mean Alipay refused and will refuse the same request again. Anything
# else that is not a success (ACQ.SYSTEM_ERROR, a code we do not know) leaves the outcome
# unknown: the caller retries with the same key, or asks.
REFUSALS = frozenset(
    {
        "ACQ.TRADE_NOT_EXIST",
        "ACQ.TRADE_STATUS_ERROR",
        "ACQ.TRADE_HAS_SUCCESS",
        "ACQ.TRADE_HAS_CLOSE",
        "ACQ.TRADE_HAS_FINISHED",
        "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
        "ACQ.SELLER_BALANCE_NOT_ENOUGH",
        "ACQ.DISCORDANT_REPEAT_REQUEST",
        "ACQ.REASON_TRADE_BEEN_FREEZEN",
        "ACQ.NOT_ALLOW_PARTIAL_REFUND",
        "ACQ.ONLINE_TRADE_REFUND_PERIOD_EXPIRED",
        "ACQ.REFUND_FEE_ERROR",
        "ACQ.INVALID_PARAMETER",
        "ACQ.ACCESS_FORBIDDEN",
        "ACQ.CONTEXT_INCONSISTENT",
        "isp.bill_not_exist",
    }
)
# Top-level codes: 20000 is Alipay's "service unavailable" (unknown outcome); 20001
# (authorisation), 40001 (missing), 40002 (invalid) and 40006 (permission) are refusals.
UNKNOWN_OUTCOME_CODES = frozenset({"20000"})
# What a trade status means for our ledger (ProviderRecord.status).
PAYMENT_STATUS = {
    "WAIT_BUYER_PAY": "pending",
    "TRADE_SUCCESS": "succeeded",
    "TRADE_FINISHED": "succeeded",
}
# Notification fields that identify the payer; not kept with the stored payload.
PERSONAL = ("buyer_id", "buyer_logon_id", "buyer_open_id", "sign")
SETTINGS_PATH = f"{__name__}.AlipayGateway"


class AlipayRefusal(GatewayError):
    """Alipay answered with a known refusal; `sub_code` is its reason."""

    def __init__(self, api: str, sub_code: str, sub_msg: str):
        super().__init__(f"Alipay refused {api}: {sub_code} {sub_msg}".strip())
        self.sub_code = sub_code


@dataclass(frozen=True)
class AlipaySettings:
    app_id: str
    private_key_path: str
    public_key_path: str
    sandbox: bool = False
    gateway_url: str = ""
    timeout: float = 15.0

    @classmethod
    def from_settings(cls) -> "AlipaySettings":
        return cls(
            app_id=getattr(settings, "ALIPAY_APP_ID", ""),
            private_key_path=str(getattr(settings, "ALIPAY_PRIVATE_KEY_PATH", "")),
            public_key_path=str(getattr(settings, "ALIPAY_PUBLIC_KEY_PATH", "")),
            sandbox=bool(getattr(settings, "ALIPAY_SANDBOX", False)),
            gateway_url=getattr(settings, "ALIPAY_GATEWAY_URL", ""),
            timeout=float(getattr(settings, "ALIPAY_TIMEOUT_SECONDS", 15)),
        )


class _RedactedKey(RsaKey):
    """An RSA key whose repr shows nothing: error reports print locals with repr()."""

    def __repr__(self) -> str:
        return "<RSA key>"


class _Client(AliPay):
    """The SDK's client, pointed at the configured gateway, holding no key text.

    The SDK knows only Alipay's production and sandbox hosts (by its `debug` flag), so
    an explicit gateway URL (the emulator's) replaces the one it chose. After loading,
    the PEM strings are dropped and the private key's repr redacted.
    """

    def __init__(self, *, gateway_url: str, **kwargs: object):
        super().__init__(**kwargs)
        if gateway_url:
            self._gateway = gateway_url
        self._app_private_key_string = self._alipay_public_key_string = None

    def _load_key(self) -> None:
        super()._load_key()
        self._app_private_key.__class__ = _RedactedKey

    @property
    def gateway_url(self) -> str:
        return self._gateway


def _pem(text: str, kind: str) -> str:
    """Alipay's console hands out keys as bare base64; wrap those as PEM."""
    if "-----BEGIN" in text:
        return text
    body = "".join(text.split())
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n"


def _key_problem(path: str, *, private: bool) -> str:
    """Why the key file at `path` is unusable, in words that contain none of it; or ""."""
    if not path:
        return "is not set"
    try:
        text = Path(path).read_text()
    except OSError as error:
        return f"names {path}, which cannot be read ({error.strerror})"
    except UnicodeDecodeError:
        return f"names {path}, which is not a PEM text file"
    try:
        key = RSA.import_key(_pem(text, "PRIVATE KEY" if private else "PUBLIC KEY"))
    except (ValueError, IndexError, TypeError):
        return f"names {path}, which holds no RSA key"
    if private and not key.has_private():
        return f"names {path}, which holds a public key; the app's private key is needed"
    if key.size_in_bits() < 2048:
        return f"names {path}, an RSA key under 2048 bits (RSA2 needs 2048)"
    return ""


@lru_cache(maxsize=8)
def _client(config: AlipaySettings) -> _Client:
    """One client per configuration: keys are read once, not on every request."""
    for setting, path, private in (
        ("ALIPAY_PRIVATE_KEY_PATH", config.private_key_path, True),
        ("ALIPAY_PUBLIC_KEY_PATH", config.public_key_path, False),
    ):
        problem = _key_problem(path, private=private)
        if problem:
            raise ImproperlyConfigured(f"{setting} {problem}.")
    if not config.app_id:
        raise ImproperlyConfigured("ALIPAY_APP_ID is not set.")
    return _Client(
        gateway_url=config.gateway_url,
        appid=config.app_id,
        app_private_key_string=_pem(Path(config.private_key_path).read_text(), "PRIVATE KEY"),
        alipay_public_key_string=_pem(Path(config.public_key_path).read_text(), "PUBLIC KEY"),
        sign_type="RSA2",
        debug=config.sandbox,
        config=AliPayConfig(timeout=config.timeout),
    )


def _beijing_now() -> str:
    """The request timestamp, in Beijing time as Alipay reads it (the SDK would send the
    server's local time, eight hours off on a UTC server)."""
    return datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _yuan(amount: Decimal) -> str:
    """Alipay's amount text: yuan with two places, exactly."""
    if amount != money.quantize(amount):
        raise GatewayError(f"Alipay takes amounts in whole fen; {amount} is not one.")
    return f"{amount:.2f}"


def _amount(text: str) -> Decimal:
    value = Decimal(text.strip())
    if not value.is_finite() or value != money.quantize(value):
        raise InvalidOperation(text)
    return value


class AlipayGateway:
    name = "alipay"

    def __init__(self, config: AlipaySettings | None = None):
        self.config = config or AlipaySettings.from_settings()

    @property
    def client(self) -> _Client:
        """Built on first use, so naming the gateway (the system check does) needs no keys."""
        return _client(self.config)

    # --- paying --------------------------------------------------------------------

    def channels(self, payer: Payer) -> list[str]:
        return [WAP, PAGE] if PHONE.search(payer.user_agent) else [PAGE, WAP]

    def start_payment(
        self,
        *,
        reference: str,
        amount: Decimal,
        description: str,
        return_url: str,
        notify_url: str,
        payer: Payer | None = None,
    ) -> PaymentStart:
        """The signed gateway URL to send the shopper to. No request is made here: the
        trade exists at Alipay once the shopper opens it (so the same reference can be
        started again, for another flow)."""
        payer = payer or Payer()
        channel = payer.channel or self.channels(payer)[0]
        if channel not in PAY_METHODS:
            raise GatewayError(f"Alipay has no {channel!r} flow; it offers {PAGE} and {WAP}.")
        subject = SUBJECT_UNSAFE.sub(" ", description).strip()[:256] or reference
        biz = {
            "out_trade_no": reference,
            "total_amount": _yuan(amount),
            "subject": subject,
            "product_code": PRODUCT_CODES[channel],
            # Alipay closes the trade itself after this, should our close never reach it.
            "timeout_express": f"{max(1, settings.ORDER_PAYMENT_TIMEOUT_SECONDS // 60)}m",
        }
        if channel == WAP:
            biz["quit_url"] = return_url
        query = self.client.client_api(
            PAY_METHODS[channel],
            biz,
            return_url=return_url,
            notify_url=notify_url,
            timestamp=_beijing_now(),
        )
        # Alipay's trade_no exists once the shopper opens the page and comes with the
        # notification; until then the trade is known by our out_trade_no.
        return PaymentStart(
            provider_reference=reference, redirect_url=f"{self.client.gateway_url}?{query}"
        )

    # --- notifications -------------------------------------------------------------

    def parse_notification(self, *, body: bytes, headers: Mapping[str, str]) -> Notification:
        params = self._verified_params(body)
        if params.get("app_id") != self.config.app_id:
            raise InvalidNotification("Notification for another Alipay app.")
        try:
            trade_no, reference = params["trade_no"], params["out_trade_no"]
            status = params["trade_status"]
            total = _amount(params["total_amount"])
            refund_fee = _amount(params["refund_fee"]) if params.get("refund_fee") else None
        except (KeyError, InvalidOperation, ValueError) as error:
            raise InvalidNotification("Malformed Alipay notification.") from error
        payload = {k: v for k, v in params.items() if k not in PERSONAL}
        if refund_fee is not None and params.get("out_biz_no"):
            # A refund's trade_status_sync: TRADE_SUCCESS after a partial refund,
            # TRADE_CLOSED after the last one. refund_fee is the trade's refunded total.
            return Notification(
                event_id=f"{trade_no}:refund:{params['out_biz_no']}",
                event_type=Notification.REFUND_SUCCEEDED,
                reference=params["out_biz_no"],
                provider_reference=params["out_biz_no"],
                amount=refund_fee,
                payload=payload,
            )
        event_type = {
            "TRADE_SUCCESS": Notification.PAYMENT_SUCCEEDED,
            "TRADE_FINISHED": Notification.PAYMENT_SUCCEEDED,
            # Closed unpaid: timed out, closed by us, or declined.
            "TRADE_CLOSED": Notification.PAYMENT_FAILED,
        }.get(status, f"alipay.{status.lower()}")  # e.g. WAIT_BUYER_PAY: recorded, ignored
        return Notification(
            # One per trade and status, however often Alipay sends it, with any notify_id.
            event_id=f"{trade_no}:{status}",
            event_type=event_type,
            reference=reference,
            provider_reference=trade_no,
            amount=total,
            payload=payload,
        )

    def _verified_params(self, body: bytes) -> dict[str, str]:
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            raise InvalidNotification("Malformed Alipay notification.") from None
        params = dict(pairs)
        if len(params) != len(pairs):
            raise InvalidNotification("Alipay notification repeats a field.")
        signature = params.pop("sign", "")
        if params.get("sign_type") != "RSA2" or not signature:
            raise InvalidNotification("Alipay notification is not RSA2-signed.")
        try:
            # The SDK drops sign_type and verifies the sorted k=v pairs.
            verified = self.client.verify(dict(params), signature)
        except (AliPayException, ValueError, TypeError):
            verified = False
        if not verified:
            raise InvalidNotification("Bad Alipay notification signature.")
        params["sign"] = signature
        return params

    def answer(self, error: str | None) -> NotificationAnswer:
        """`success` stops Alipay resending; anything else (here `fail`) asks it to resend."""
        if error is None:
            return NotificationAnswer(status=200, content_type="text/plain", body=b"success")
        return NotificationAnswer(status=400, content_type="text/plain", body=b"fail")

    # --- refunds -------------------------------------------------------------------

    def refund(
        self,
        *,
        payment_reference: str,
        idempotency_key: str,
        amount: Decimal,
        notify_url: str = "",
        payment_amount: Decimal | None = None,
    ) -> RefundResult:
        """Alipay refunds synchronously: no refund notification follows (notify_url is
        unused). fund_change "N" means this call moved no money: a repeat of a refund
        already made, or one Alipay has not finished; the refund query tells which."""
        answer = self._call(
            "alipay.trade.refund",
            {
                "out_trade_no": payment_reference,
                "refund_amount": _yuan(amount),
                "out_request_no": idempotency_key,
            },
        )
        if answer.get("fund_change") != "Y":
            record = self.query_refund(
                idempotency_key=idempotency_key, payment_reference=payment_reference
            )
            if record is None or record.status != "succeeded":
                return RefundResult(status="pending", provider_reference=idempotency_key)
        return RefundResult(status="succeeded", provider_reference=idempotency_key)

    def query_refund(
        self, *, idempotency_key: str, payment_reference: str = ""
    ) -> ProviderRecord | None:
        if not payment_reference:
            raise GatewayError("Alipay's refund query needs the payment's reference.")
        try:
            answer = self._call(
                "alipay.trade.fastpay.refund.query",
                {"out_trade_no": payment_reference, "out_request_no": idempotency_key},
            )
        except AlipayRefusal as refusal:
            if refusal.sub_code == "ACQ.TRADE_NOT_EXIST":
                return None
            raise
        if not answer.get("refund_amount"):
            return None  # Alipay leaves the refund fields out when it holds no such refund
        return ProviderRecord(
            kind="refund",
            reference=idempotency_key,
            provider_reference=idempotency_key,
            amount=_amount(answer["refund_amount"]),
            status="succeeded" if answer.get("refund_status") == "REFUND_SUCCESS" else "pending",
        )

    # --- query and close -----------------------------------------------------------

    def query_payment(self, *, reference: str) -> ProviderRecord | None:
        try:
            answer = self._call("alipay.trade.query", {"out_trade_no": reference})
        except AlipayRefusal as refusal:
            if refusal.sub_code == "ACQ.TRADE_NOT_EXIST":
                return None
            raise
        status = answer.get("trade_status", "")
        if status == "TRADE_CLOSED":
            # Closed after paying means refunded in full; closed unpaid means it failed.
            status_here = "refunded" if answer.get("send_pay_date") else "failed"
        else:
            status_here = PAYMENT_STATUS.get(status, "pending")
        return ProviderRecord(
            kind="payment",
            reference=reference,
            provider_reference=answer.get("trade_no", ""),
            amount=_amount(answer["total_amount"]),
            status=status_here,
        )

    def close_payment(self, *, reference: str) -> None:
        """Close an unpaid trade so that no late payment can arrive for it. A trade Alipay
        does not know (never opened) or already closed is fine; a paid one is an error."""
        try:
            self._call("alipay.trade.close", {"out_trade_no": reference})
        except AlipayRefusal as refusal:
            if refusal.sub_code == "ACQ.TRADE_NOT_EXIST":
                return
            if refusal.sub_code != "ACQ.TRADE_STATUS_ERROR":
                raise
            record = self.query_payment(reference=reference)
            if record is not None and record.status == "failed":
                return
            raise GatewayError(
                f"Alipay trade {reference} is already paid; refund it instead."
            ) from None

    # --- reconciliation ------------------------------------------------------------

    def records(self, day: date | None = None) -> Iterable[ProviderRecord]:
        """The day's (Beijing time; default yesterday) trade bill: its trade and refund rows."""
        day = day or (datetime.now(BEIJING).date() - timedelta(days=1))
        answer = self._call(
            "alipay.data.dataservice.bill.downloadurl.query",
            {"bill_type": "trade", "bill_date": day.isoformat()},
        )
        try:
            with urllib.request.urlopen(
                answer["bill_download_url"], timeout=self.config.timeout
            ) as response:
                archive = response.read()
        except (OSError, KeyError):
            raise GatewayTimeout(f"Alipay's bill for {day} could not be downloaded.") from None
        try:
            return list(bill_records(archive))
        except (zipfile.BadZipFile, UnicodeDecodeError, KeyError, ValueError, InvalidOperation):
            raise GatewayError(
                f"Alipay's bill for {day} is not in the documented format."
            ) from None

    # --- talking to the gateway ----------------------------------------------------

    def _call(self, api: str, biz: dict) -> dict:
        """One signed request; its verified answer when Alipay says 10000."""
        try:
            answer = self.client.server_api(api, biz_content=biz, timestamp=_beijing_now())
        except AliPayValidationError:
            raise GatewayTimeout(f"Alipay's answer to {api} failed its signature check.") from None
        except AliPayException as error:
            # An unsigned answer: Alipay could not authenticate or route the request.
            code = str(getattr(error, "_AliPayException__code", ""))  # the SDK keeps it private
            if code in UNKNOWN_OUTCOME_CODES:
                raise GatewayTimeout(f"Alipay was unavailable for {api}.") from None
            raise GatewayError(f"Alipay rejected the {api} request (code {code}).") from None
        except (OSError, ValueError, AttributeError, KeyError, TypeError):
            # No answer, a cut connection, a body that is not JSON or not Alipay's shape.
            raise GatewayTimeout(f"No usable answer from Alipay to {api}.") from None
        if answer.get("code") == SUCCESS:
            return answer
        sub_code, sub_msg = str(answer.get("sub_code", "")), str(answer.get("sub_msg", ""))
        if sub_code in REFUSALS or (
            answer.get("code") not in UNKNOWN_OUTCOME_CODES and sub_code.startswith("isv.")
        ):
            raise AlipayRefusal(api, sub_code, sub_msg)
        logger.warning(
            "Alipay answered %s with %s %s; outcome unknown", api, answer.get("code"), sub_code
        )
        raise GatewayTimeout(
            f"Alipay could not say how {api} ended ({sub_code or answer.get('code')})."
        )


def bill_records(archive: bytes) -> Iterator[ProviderRecord]:
    """The trade and refund rows of an Alipay trade bill (the zip Alipay's URL serves).

    The zip holds the detail CSV (…_业务明细.csv) and a summary (…_业务明细(汇总).csv), GBK
    encoded; the detail's rows sit between the 业务明细列表 markers, cells padded with tabs.
    """
    with zipfile.ZipFile(io.BytesIO(archive)) as bill:
        member = next(
            (info for info in bill.infolist() if _member_name(info).endswith("业务明细.csv")),
            None,
        )
        if member is None:
            raise ValueError("The bill has no detail CSV.")
        text = bill.read(member).decode("gbk")
    lines = text.splitlines()
    start = next(
        (
            i
            for i, line in enumerate(lines)
            if line.startswith("#") and line.rstrip("-").endswith("业务明细列表")
        ),
        None,
    )
    if start is None or start + 1 >= len(lines):
        raise ValueError("The bill's detail CSV has no 业务明细列表.")
    rows = csv.reader(
        itertools.takewhile(lambda line: not line.startswith("#"), lines[start + 1 :])
    )
    header = [cell.strip() for cell in next(rows)]
    for row in rows:
        cells = dict(zip(header, (cell.strip() for cell in row), strict=False))
        kind = cells["业务类型"]
        if kind == "交易":
            yield ProviderRecord(
                kind="payment",
                reference=cells["商户订单号"],
                provider_reference=cells["支付宝交易号"],
                amount=_amount(cells["订单金额（元）"]),
                status="succeeded",
            )
        elif kind == "退款":
            request_no = cells["退款批次号/请求号"] or cells["商户订单号"]
            yield ProviderRecord(
                kind="refund",
                reference=request_no,
                provider_reference=request_no,
                amount=abs(_amount(cells["订单金额（元）"])),
                status="succeeded",
            )


def _member_name(info: zipfile.ZipInfo) -> str:
    """Alipay names the files in GBK without the zip's UTF-8 flag; read them as such."""
    if info.flag_bits & 0x800:
        return info.filename
    return info.filename.encode("cp437").decode("gbk", errors="replace")


def check_keys(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    """`manage.py check`: when Alipay is a configured gateway, its id and keys are usable."""
    in_house = settings.PAYMENT_GATEWAYS.values()
    if AlipayGateway.name not in offered_gateways() and SETTINGS_PATH not in in_house:
        return []
    config = AlipaySettings.from_settings()
    errors: list[checks.CheckMessage] = []
    if not config.app_id:
        errors.append(
            checks.Error(
                "ALIPAY_APP_ID is not set.",
                hint="The app id from Alipay's console.",
                id="payments.E201",
            )
        )
    for setting, path, private, check_id, hint in (
        (
            "ALIPAY_PRIVATE_KEY_PATH",
            config.private_key_path,
            True,
            "payments.E202",
            "The app's RSA2 private key (PEM or bare base64).",
        ),
        (
            "ALIPAY_PUBLIC_KEY_PATH",
            config.public_key_path,
            False,
            "payments.E203",
            "Alipay's public key from the console (not the app's).",
        ),
    ):
        problem = _key_problem(path, private=private)
        if problem:
            errors.append(checks.Error(f"{setting} {problem}.", hint=hint, id=check_id))
    return errors
