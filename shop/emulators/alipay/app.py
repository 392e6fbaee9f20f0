"""The emulated Alipay gateway: one WSGI app, state in memory.

What it serves (all on the documented `gateway.do` endpoint, GET or POST, RSA2-signed):
- `alipay.trade.page.pay` / `alipay.trade.wap.pay`: the payer page (confirm / decline);
  confirming marks the trade TRADE_SUCCESS, POSTs the signed `trade_status_sync`
  notification to `notify_url` (form-encoded, retried until it answers `success`) and
  sends the browser to `return_url` with the signed synchronous return parameters.
- `alipay.trade.query`, `alipay.trade.close`, `alipay.trade.refund`,
  `alipay.trade.fastpay.refund.query`, `alipay.data.dataservice.bill.downloadurl.query`:
  JSON `{"<method>_response": {...}, "sign": "..."}` signed over the exact inner text.
- `/downloadBillFile.resource?token=…`: the day's bill, a zip of GBK CSVs, as Alipay ships it.

Control endpoints for tests (not Alipay's): `POST /_emulator/mode` `{"mode": name,
"times": n, "hang": seconds}` arms a failure for the next n uses: `decline` (the next
confirm declines), `timeout` (the next API call does its work, then answers too late),
`system_error` (the next API call answers ACQ.SYSTEM_ERROR without doing anything),
`duplicate_notification`, `refund_refused`, `bill_mismatch` (the next bill shows the first
trade one cent off). `POST /_emulator/reset`, `GET /_emulator/notifications`,
`GET /_emulator/trades`, `GET /_emulator/alipay_public_key`.
"""

import html
import io
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

from Cryptodome.PublicKey.RSA import RsaKey

from . import signing

BEIJING = ZoneInfo("Asia/Shanghai")
AMOUNT = re.compile(r"^\d{1,9}(\.\d{1,2})?$")
PRODUCT_CODES = {
    "alipay.trade.page.pay": "FAST_INSTANT_TRADE_PAY",
    "alipay.trade.wap.pay": "QUICK_WAP_WAY",
}
MODES = (
    "decline",
    "timeout",
    "system_error",
    "duplicate_notification",
    "refund_refused",
    "bill_mismatch",
)
BILL_HEADER = (
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,"
    "终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,"
    "商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,"
    "退款批次号/请求号,服务费（元）,分润（元）,备注"
)
BILL_URL_LIFETIME = timedelta(seconds=30)


def _now() -> datetime:
    return datetime.now(BEIJING).replace(microsecond=0)


def _stamp(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


@dataclass
class Refund:
    out_request_no: str
    amount: Decimal
    at: datetime


@dataclass
class Trade:
    trade_no: str
    out_trade_no: str
    total_amount: Decimal
    subject: str
    notify_url: str
    return_url: str
    method: str
    created: datetime
    status: str = "WAIT_BUYER_PAY"
    paid: datetime | None = None
    closed: datetime | None = None
    refunds: dict[str, Refund] = field(default_factory=dict)

    @property
    def refunded(self) -> Decimal:
        return sum((r.amount for r in self.refunds.values()), Decimal("0.00"))


@dataclass
class Outgoing:
    """One notification: what was sent where, and each answer the shop gave."""

    notify_url: str
    body: str
    answers: list[str] = field(default_factory=list)


class ApiFailure(Exception):
    def __init__(self, code: str, msg: str, sub_code: str, sub_msg: str):
        super().__init__(sub_code)
        self.fields = {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}


def _business(sub_code: str, sub_msg: str) -> ApiFailure:
    return ApiFailure("40004", "Business Failed", sub_code, sub_msg)


def _invalid(sub_code: str, sub_msg: str) -> ApiFailure:
    return ApiFailure("40002", "Invalid Arguments", sub_code, sub_msg)


class AlipayEmulator:
    def __init__(
        self,
        *,
        app_id: str,
        app_public_key: RsaKey,
        alipay_key: RsaKey,
        seller_id: str = "2088000000000001",
        notify_attempts: int = 3,
        notify_interval: float = 1.0,
    ):
        self.app_id = app_id
        self.app_public_key = app_public_key
        self.alipay_key = alipay_key
        self.seller_id = seller_id
        self.notify_attempts = notify_attempts
        self.notify_interval = notify_interval
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.trades: dict[str, Trade] = {}
            self.modes: dict[str, int] = {}
            self.hang = 3.0
            self.outbox: list[Outgoing] = []
            self.bills: dict[str, tuple[datetime, bytes]] = {}

    # --- failure modes -------------------------------------------------------------

    def _take(self, mode: str) -> bool:
        with self.lock:
            if self.modes.get(mode, 0) <= 0:
                return False
            self.modes[mode] -= 1
            return True

    # --- WSGI ----------------------------------------------------------------------

    def __call__(self, environ: dict, start_response):  # type: ignore[no-untyped-def]
        path = environ.get("PATH_INFO", "")
        method = environ["REQUEST_METHOD"]
        query = environ.get("QUERY_STRING", "")
        body = b""
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length)
        base = f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}"
        try:
            status, headers, content = self._route(method, path, query, body, base)
        except Exception as error:  # an emulator bug must show, not hang the client
            status, headers = "500 Internal Server Error", [("Content-Type", "text/plain")]
            content = f"emulator error: {error!r}".encode()
        start_response(status, [*headers, ("Content-Length", str(len(content)))])
        return [content]

    def _route(self, method: str, path: str, query: str, body: bytes, base: str):  # type: ignore[no-untyped-def]
        if path == "/gateway.do":
            params = dict(parse_qsl(query, keep_blank_values=True))
            if body:
                params.update(parse_qsl(body.decode(), keep_blank_values=True))
            return self._gateway(params, base)
        if path.startswith("/_emulator/pay/") and method == "POST":
            form = dict(parse_qsl(body.decode(), keep_blank_values=True))
            return self._payer_acts(path.removeprefix("/_emulator/pay/"), form.get("action", ""))
        if path == "/downloadBillFile.resource":
            return self._bill_file(dict(parse_qsl(query)).get("token", ""))
        if path == "/_emulator/mode" and method == "POST":
            payload = json.loads(body or b"{}")
            if payload.get("mode") not in MODES:
                return _json_answer({"error": f"mode must be one of {', '.join(MODES)}"}, 400)
            with self.lock:
                self.modes[payload["mode"]] = int(payload.get("times", 1))
                self.hang = float(payload.get("hang", self.hang))
            return _json_answer({"modes": self.modes})
        if path == "/_emulator/reset" and method == "POST":
            self.reset()
            return _json_answer({"ok": True})
        if path == "/_emulator/notifications":
            with self.lock:
                items = [vars(o).copy() for o in self.outbox]
            return _json_answer(items)
        if path == "/_emulator/trades":
            with self.lock:
                items = {
                    no: {"trade_no": t.trade_no, "status": t.status, "refunded": str(t.refunded)}
                    for no, t in self.trades.items()
                }
            return _json_answer(items)
        if path == "/_emulator/alipay_public_key":
            return (
                "200 OK",
                [("Content-Type", "text/plain")],
                signing.public_pem(self.alipay_key).encode(),
            )
        return "404 Not Found", [("Content-Type", "text/plain")], b"not found"

    # --- the gateway ---------------------------------------------------------------

    def _gateway(self, params: dict[str, str], base: str):  # type: ignore[no-untyped-def]
        api = params.get("method", "")
        try:
            biz = self._verified_biz(params)
        except ApiFailure as failure:
            if api in PRODUCT_CODES:
                return _page(f"{failure.fields['sub_code']}: {failure.fields['sub_msg']}", 400)
            # Alipay's answer to a request it cannot authenticate is not signed.
            key = api.replace(".", "_") + "_response" if api else "error_response"
            return _json_answer({key: failure.fields})
        if api in PRODUCT_CODES:
            return self._pay_page(api, params, biz)
        handlers = {
            "alipay.trade.query": self._query,
            "alipay.trade.close": self._close,
            "alipay.trade.refund": self._refund,
            "alipay.trade.fastpay.refund.query": self._refund_query,
            "alipay.data.dataservice.bill.downloadurl.query": lambda b: self._bill_url(b, base),
        }
        if api not in handlers:
            failure = _invalid("isv.invalid-method", "不存在的方法名")
            return _json_answer({"error_response": failure.fields})
        if self._take("system_error"):
            answer = _business("ACQ.SYSTEM_ERROR", "系统错误").fields
        else:
            try:
                answer = {"code": "10000", "msg": "Success", **handlers[api](biz)}
            except ApiFailure as failure:
                answer = failure.fields
        if self._take("timeout"):
            time.sleep(self.hang)  # the work is done; the answer arrives after the client gave up
        return self._signed_answer(api.replace(".", "_") + "_response", answer)

    def _verified_biz(self, params: dict[str, str]) -> dict:
        if params.get("app_id") != self.app_id:
            raise _invalid("isv.invalid-app-id", "无效的AppID参数")
        if params.get("sign_type") != "RSA2":
            raise _invalid("isv.invalid-signature-type", "无效的签名类型")
        if params.get("charset", "utf-8").lower() != "utf-8":
            raise _invalid("isv.invalid-charset", "字符集错误")
        try:
            datetime.strptime(params.get("timestamp", ""), "%Y-%m-%d %H:%M:%S")
        except ValueError:
            raise _invalid("isv.invalid-timestamp", "非法的时间戳参数") from None
        content = signing.request_content(params)
        if not signing.verify(content, params.get("sign", ""), self.app_public_key):
            raise _invalid("isv.invalid-signature", "验签出错")
        try:
            biz = json.loads(params.get("biz_content") or "{}")
        except ValueError:
            raise _invalid("isv.invalid-biz-content", "biz_content格式错误") from None
        if not isinstance(biz, dict):
            raise _invalid("isv.invalid-biz-content", "biz_content格式错误")
        return biz

    def _signed_answer(self, key: str, answer: dict):  # type: ignore[no-untyped-def]
        inner = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
        signature = signing.sign(inner, self.alipay_key)
        text = f'{{"{key}":{inner},"sign":"{signature}"}}'
        return "200 OK", [("Content-Type", "application/json;charset=utf-8")], text.encode()

    def _trade(self, biz: dict) -> Trade:
        with self.lock:
            trade = self.trades.get(biz.get("out_trade_no", ""))
            if trade is None and biz.get("trade_no"):
                trade = next(
                    (t for t in self.trades.values() if t.trade_no == biz["trade_no"]), None
                )
        if trade is None:
            raise _business("ACQ.TRADE_NOT_EXIST", "交易不存在")
        return trade

    # --- paying --------------------------------------------------------------------

    def _pay_page(self, api: str, params: dict[str, str], biz: dict):  # type: ignore[no-untyped-def]
        amount = str(biz.get("total_amount", ""))
        if biz.get("product_code") != PRODUCT_CODES[api]:
            return _page("ACQ.INVALID_PARAMETER: product_code 不正确", 400)
        if not AMOUNT.match(amount) or not Decimal("0.01") <= Decimal(amount) <= 100000000:
            return _page("ACQ.INVALID_PARAMETER: total_amount 不正确", 400)
        if not biz.get("out_trade_no") or not biz.get("subject"):
            return _page("ACQ.INVALID_PARAMETER: 缺少 out_trade_no 或 subject", 400)
        with self.lock:
            trade = self.trades.get(biz["out_trade_no"])
            if trade is None:
                trade = Trade(
                    trade_no=f"{_now():%Y%m%d}22001{secrets.randbelow(10**15):015d}",
                    out_trade_no=biz["out_trade_no"],
                    total_amount=Decimal(amount),
                    subject=str(biz["subject"]),
                    notify_url=params.get("notify_url", ""),
                    return_url=params.get("return_url", ""),
                    method=api,
                    created=_now(),
                )
                self.trades[trade.out_trade_no] = trade
        if trade.total_amount != Decimal(amount):
            return _page("ACQ.CONTEXT_INCONSISTENT: 交易信息被篡改", 400)
        if trade.status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
            return _page("ACQ.TRADE_HAS_SUCCESS: 交易已被支付", 409)
        if trade.status == "TRADE_CLOSED":
            return _page("ACQ.TRADE_HAS_CLOSE: 交易已经关闭", 409)
        subject = html.escape(trade.subject)
        body = (
            f"<h1>支付宝（模拟） Alipay emulator</h1><p>{subject}</p>"
            f'<p class="amount">¥{trade.total_amount}</p>'
            f'<form method="post" action="/_emulator/pay/{trade.trade_no}">'
            '<button name="action" value="confirm" id="confirm">确认付款 Pay</button> '
            '<button name="action" value="decline" id="decline">取消 Decline</button></form>'
        )
        return _page(body, 200)

    def _payer_acts(self, trade_no: str, action: str):  # type: ignore[no-untyped-def]
        with self.lock:
            trade = next((t for t in self.trades.values() if t.trade_no == trade_no), None)
            if trade is None:
                return _page("ACQ.TRADE_NOT_EXIST: 交易不存在", 404)
            if trade.status != "WAIT_BUYER_PAY":
                return _page(f"ACQ.TRADE_STATUS_ERROR: {trade.status}", 409)
            if action == "confirm" and not self._take("decline"):
                trade.status, trade.paid = "TRADE_SUCCESS", _now()
                self._notify(trade)
                return _redirect(self._return_location(trade))
            if action in ("confirm", "decline"):
                trade.status, trade.closed = "TRADE_CLOSED", _now()
                self._notify(trade)
                return _redirect(trade.return_url or "/")
        return _page("unknown action", 400)

    def _return_location(self, trade: Trade) -> str:
        """The synchronous return: signed, but shops must not trust it (Alipay says so)."""
        if not trade.return_url:
            return "/"
        params = {
            "app_id": self.app_id,
            "auth_app_id": self.app_id,
            "charset": "utf-8",
            "method": trade.method + ".return",
            "out_trade_no": trade.out_trade_no,
            "seller_id": self.seller_id,
            "timestamp": _stamp(_now()),
            "total_amount": str(trade.total_amount),
            "trade_no": trade.trade_no,
            "version": "1.0",
            "sign_type": "RSA2",
        }
        params["sign"] = signing.sign(signing.notification_content(params), self.alipay_key)
        separator = "&" if urlsplit(trade.return_url).query else "?"
        return trade.return_url + separator + urlencode(params)

    # --- notifications -------------------------------------------------------------

    def _notify(self, trade: Trade, refund: Refund | None = None) -> None:
        if not trade.notify_url:
            return
        params = {
            "notify_time": _stamp(_now()),
            "notify_type": "trade_status_sync",
            "notify_id": secrets.token_hex(16),
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "app_id": self.app_id,
            "auth_app_id": self.app_id,
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "seller_id": self.seller_id,
            "trade_status": trade.status,
            "total_amount": str(trade.total_amount),
            "subject": trade.subject,
            "gmt_create": _stamp(trade.created),
        }
        if trade.paid:
            params.update(
                buyer_id="2088102177846880",
                buyer_logon_id="sho***@example.com",
                receipt_amount=str(trade.total_amount),
                invoice_amount=str(trade.total_amount),
                buyer_pay_amount=str(trade.total_amount),
                point_amount="0.00",
                gmt_payment=_stamp(trade.paid),
                fund_bill_list=json.dumps(
                    [{"amount": str(trade.total_amount), "fundChannel": "ALIPAYACCOUNT"}],
                    separators=(",", ":"),
                ),
            )
        if trade.closed:
            params["gmt_close"] = _stamp(trade.closed)
        if refund is not None:
            params.update(
                out_biz_no=refund.out_request_no,
                refund_fee=str(trade.refunded),
                gmt_refund=refund.at.strftime("%Y-%m-%d %H:%M:%S.000"),
            )
        params["sign"] = signing.sign(signing.notification_content(params), self.alipay_key)
        copies = 2 if self._take("duplicate_notification") else 1
        for _ in range(copies):
            outgoing = Outgoing(notify_url=trade.notify_url, body=urlencode(params))
            self.outbox.append(outgoing)
            threading.Thread(target=self._deliver, args=(outgoing,), daemon=True).start()

    def _deliver(self, outgoing: Outgoing) -> None:
        """POST until the shop answers exactly `success`, as Alipay does (on a short clock)."""
        for attempt in range(self.notify_attempts):
            if attempt:
                time.sleep(self.notify_interval)
            request = urllib.request.Request(
                outgoing.notify_url,
                data=outgoing.body.encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    answer = response.read().decode(errors="replace")
            except urllib.error.HTTPError as error:
                answer = f"HTTP {error.code}: {error.read().decode(errors='replace')}"
            except OSError as error:
                answer = f"unreachable: {error}"
            with self.lock:
                outgoing.answers.append(answer)
            if answer.strip() == "success":
                return

    # --- queries, close, refunds ---------------------------------------------------

    def _query(self, biz: dict) -> dict:
        trade = self._trade(biz)
        answer = {
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "trade_status": trade.status,
            "total_amount": str(trade.total_amount),
        }
        if trade.paid:
            answer.update(
                buyer_logon_id="sho***@example.com",
                buyer_pay_amount=str(trade.total_amount),
                receipt_amount=str(trade.total_amount),
                send_pay_date=_stamp(trade.paid),
            )
        return answer

    def _close(self, biz: dict) -> dict:
        trade = self._trade(biz)
        with self.lock:
            if trade.status != "WAIT_BUYER_PAY":
                raise _business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            trade.status, trade.closed = "TRADE_CLOSED", _now()
            self._notify(trade)
        return {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no}

    def _refund(self, biz: dict) -> dict:
        trade = self._trade(biz)
        amount = str(biz.get("refund_amount", ""))
        if not AMOUNT.match(amount) or Decimal(amount) <= 0:
            raise _business("ACQ.INVALID_PARAMETER", "参数无效: refund_amount")
        key = str(biz.get("out_request_no") or trade.out_trade_no)
        with self.lock:
            existing = trade.refunds.get(key)
            if existing is not None:
                if existing.amount != Decimal(amount):
                    raise _business("ACQ.DISCORDANT_REPEAT_REQUEST", "请求信息不一致")
                return self._refund_answer(trade, fund_change="N")
            if trade.paid is None:
                raise _business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            if trade.status == "TRADE_FINISHED":
                raise _business("ACQ.TRADE_HAS_FINISHED", "交易已完结")
            if trade.refunded + Decimal(amount) > trade.total_amount:
                raise _business("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
            if self._take("refund_refused"):
                raise _business("ACQ.SELLER_BALANCE_NOT_ENOUGH", "卖家余额不足")
            refund = Refund(out_request_no=key, amount=Decimal(amount), at=_now())
            trade.refunds[key] = refund
            if trade.refunded == trade.total_amount:
                trade.status, trade.closed = "TRADE_CLOSED", refund.at
            self._notify(trade, refund)
            return self._refund_answer(trade, fund_change="Y")

    def _refund_answer(self, trade: Trade, *, fund_change: str) -> dict:
        return {
            "trade_no": trade.trade_no,
            "out_trade_no": trade.out_trade_no,
            "buyer_logon_id": "sho***@example.com",
            "fund_change": fund_change,
            "refund_fee": str(trade.refunded),
            "gmt_refund_pay": _stamp(_now()),
        }

    def _refund_query(self, biz: dict) -> dict:
        trade = self._trade(biz)
        answer = {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no}
        refund = trade.refunds.get(str(biz.get("out_request_no", "")))
        if refund is not None:  # Alipay leaves the refund fields out when it has none
            answer.update(
                out_request_no=refund.out_request_no,
                total_amount=str(trade.total_amount),
                refund_amount=str(refund.amount),
                refund_status="REFUND_SUCCESS",
                gmt_refund_pay=_stamp(refund.at),
            )
        return answer

    # --- bills ---------------------------------------------------------------------

    def _bill_url(self, biz: dict, base: str) -> dict:
        if biz.get("bill_type") != "trade":
            raise _business("isp.bill_type_not_support", "不支持的账单类型")
        try:
            day = date.fromisoformat(str(biz.get("bill_date", "")))
        except ValueError:
            raise _invalid("isv.invalid-bill-date", "账单日期格式不正确") from None
        if day > _now().date():
            raise _business("isp.bill_not_exist", "账单不存在")
        token = secrets.token_urlsafe(16)
        with self.lock:
            self.bills[token] = (_now() + BILL_URL_LIFETIME, self._bill_zip(day))
        return {"bill_download_url": f"{base}/downloadBillFile.resource?token={token}"}

    def _bill_file(self, token: str):  # type: ignore[no-untyped-def]
        with self.lock:
            expires, content = self.bills.get(token, (None, b""))
        if expires is None or expires < _now():
            return "403 Forbidden", [("Content-Type", "text/plain")], b"expired or unknown token"
        return "200 OK", [("Content-Type", "application/zip")], content

    def _bill_zip(self, day: date) -> bytes:
        rows: list[list[str]] = []
        with self.lock:
            for trade in self.trades.values():
                if trade.paid and trade.paid.date() == day:
                    rows.append(self._bill_row(trade, "交易", trade.total_amount, trade.paid, ""))
                for refund in trade.refunds.values():
                    if refund.at.date() == day:
                        rows.append(
                            self._bill_row(
                                trade, "退款", -refund.amount, refund.at, refund.out_request_no
                            )
                        )
        if rows and self._take("bill_mismatch"):
            first = next((r for r in rows if r[2] == "交易"), rows[0])
            first[11] = first[12] = str(Decimal(first[11]) + Decimal("0.01"))
        trades = [r for r in rows if r[2] == "交易"]
        refunds = [r for r in rows if r[2] == "退款"]
        received = sum((Decimal(r[12]) for r in trades), Decimal("0.00"))
        paid_back = sum((Decimal(r[12]) for r in refunds), Decimal("0.00"))
        lines = [
            "#支付宝业务明细查询",
            f"#账号：[{self.seller_id}0156]",
            f"#起始日期：[{day:%Y年%m月%d日} 00:00:00]   终止日期：[{day + timedelta(days=1):%Y年%m月%d日} 00:00:00]",
            "#-----------------------------------------业务明细列表----------------------------------------",
            BILL_HEADER,
            *(",".join(cell + "\t" for cell in row) for row in rows),
            "#-----------------------------------------业务明细列表结束------------------------------------",
            f"#交易合计：{len(trades)}笔，商家实收共：{received}元，商家优惠共：0.00元",
            f"#退款合计：{len(refunds)}笔，商家实收退款共：{paid_back}元，商家优惠退款共：0.00元",
            f"#导出时间：[{_now():%Y年%m月%d日 %H:%M:%S}]",
        ]
        summary = [
            "#支付宝业务汇总查询",
            "门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）",
            f"合计,,{len(trades)},{len(refunds)},{received + paid_back},{received + paid_back}",
        ]
        name = f"{self.seller_id}0156_{day:%Y%m%d}"
        return _gbk_zip(
            {
                f"{name}_业务明细.csv": "\r\n".join(lines).encode("gbk"),
                f"{name}_业务明细(汇总).csv": "\r\n".join(summary).encode("gbk"),
            }
        )

    @staticmethod
    def _bill_row(
        trade: Trade, kind: str, amount: Decimal, at: datetime, request_no: str
    ) -> list[str]:
        money = str(amount)
        return [
            trade.trade_no,
            trade.out_trade_no,
            kind,
            trade.subject.replace(",", "，"),
            _stamp(trade.created),
            _stamp(at),
            "",
            "",
            "",
            "",
            "sho***@example.com",
            money,
            money,
            "0.00",
            "0.00",
            "0.00",
            "0.00",
            "0.00",
            "",
            "0.00",
            "0.00",
            request_no,
            "0.00",
            "0.00",
            "",
        ]


def _gbk_zip(files: dict[str, bytes]) -> bytes:
    """A zip whose file names are GBK bytes without the UTF-8 flag, as Alipay's are.

    zipfile writes non-ASCII names as flagged UTF-8 only, so each is written under an
    ASCII stand-in of the same byte length and the name bytes are swapped afterwards (the
    CRC covers the contents, not the name).
    """
    buffer = io.BytesIO()
    names = {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, content) in enumerate(files.items()):
            real = name.encode("gbk")
            stand_in = f"~{index}~".ljust(len(real), "~").encode()
            names[stand_in] = real
            archive.writestr(stand_in.decode(), content)
    archive_bytes = buffer.getvalue()
    for stand_in, real in names.items():
        assert archive_bytes.count(stand_in) == 2  # the local header and the directory
        archive_bytes = archive_bytes.replace(stand_in, real)
    return archive_bytes


def _json_answer(payload: object, status: int = 200):  # type: ignore[no-untyped-def]
    text = json.dumps(payload, ensure_ascii=False, default=str).encode()
    return (
        f"{status} {'OK' if status == 200 else 'Error'}",
        [("Content-Type", "application/json;charset=utf-8")],
        text,
    )


def _page(body: str, status: int):  # type: ignore[no-untyped-def]
    document = f'<!doctype html><html lang="zh-Hans"><meta charset="utf-8"><title>支付宝（模拟）</title><body>{body}</body></html>'
    return (
        f"{status} {'OK' if status == 200 else 'Error'}",
        [("Content-Type", "text/html;charset=utf-8")],
        document.encode(),
    )


def _redirect(location: str):  # type: ignore[no-untyped-def]
    return "302 Found", [("Location", location), ("Content-Type", "text/plain")], b""
