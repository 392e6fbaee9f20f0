"""A WeChat Pay API v3 emulator (direct merchant), as a WSGI app.

What it does as WeChat Pay documents it:
- verifies each request's `Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,
  signature=…,timestamp=…,serial_no=…` (RSA-SHA256 over "METHOD\\nPATH?QUERY\\ntimestamp\\n
  nonce\\nbody\\n" with the merchant certificate's key, timestamp within 5 minutes) and
  answers 401 SIGN_ERROR otherwise;
- signs every API answer (Wechatpay-Timestamp/-Nonce/-Signature/-Serial over
  "timestamp\\nnonce\\nbody\\n") with its platform key, naming the platform public key id or
  the platform certificate's serial (`sign_with`);
- sends notifications whose `resource` is AEAD_AES_256_GCM-encrypted with the APIv3 key;
- serves Native (code_url), H5 (h5_url), JSAPI (prepay_id), query, close, refunds, refund
  query, the trade/refund bill and its download, /v3/certificates, and the OAuth
  snsapi_base pages of the official account platform.

What it adds, under /_emulator/: the payer's page (confirm or decline), and controls for
tests: failure modes (decline, time out after doing the work, duplicate notifications,
refunds refused or left PROCESSING, a bill that disagrees), the notifications it sent,
and validly signed notifications made to order (stale, other amounts, unknown trades).
State is in memory; nothing here touches the shop's database.
"""

import base64
import gzip
import hashlib
import html
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from urllib.parse import parse_qs, urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .keys import KeySet

BEIJING = timezone(timedelta(hours=8))
AUTH_SCHEME = "WECHATPAY2-SHA256-RSA2048"
TOLERANCE_SECONDS = 300
BILL_HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
    "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
    "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
TRADE_TYPES = {"native": "NATIVE", "h5": "MWEB", "jsapi": "JSAPI"}
DEFAULT_MODE = {
    "decline": False,  # the payer's confirmation fails (the trade stays NOTPAY)
    "timeout_seconds": 0.0,  # do the work, then answer this late (past the client's timeout)
    "duplicate_notifications": False,  # every notification delivered twice
    "refund_refused": False,  # refunds answered 403 NOT_ENOUGH
    "refund_status": "SUCCESS",  # what a new refund becomes: SUCCESS, PROCESSING, ABNORMAL, CLOSED
    "bill_mismatch": False,  # the bill has the first payment 0.01 more than was paid
    "deliver": True,  # POST notifications to notify_url (else only record them)
    "sign_with": "public_key",  # or "certificate": which platform identity signs
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    sign: bool = True


def fen_to_yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def now_beijing() -> datetime:
    return datetime.now(BEIJING).replace(microsecond=0)


class WeChatPayEmulator:
    def __init__(
        self,
        *,
        keys: KeySet,
        mchid: str,
        appid: str,
        apiv3_key: str,
        app_secret: str,
        base_url: str,
    ) -> None:
        self.keys, self.mchid, self.appid = keys, mchid, appid
        self.apiv3_key, self.app_secret, self.base_url = apiv3_key, app_secret, base_url.rstrip("/")
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.trades: dict[str, dict] = {}
            self.refunds: dict[str, dict] = {}
            self.tokens: dict[str, str] = {}  # pr / prepay_id → out_trade_no
            self.downloads: dict[str, bytes] = {}
            self.codes: dict[str, str] = {}  # OAuth code → openid
            self.sent: list[dict] = []
            self.mode = dict(DEFAULT_MODE)

    # --- Signatures --------------------------------------------------------------------

    def _identity(self) -> str:
        if self.mode["sign_with"] == "certificate":
            return self.keys.platform_serial
        return self.keys.public_key_id

    def signed_headers(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        nonce = secrets.token_hex(16).upper()
        message = f"{stamp}\n{nonce}\n".encode() + body + b"\n"
        signature = self.keys.platform_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": base64.b64encode(signature).decode(),
            "Wechatpay-Serial": self._identity(),
            "Wechatpay-Signature-Type": AUTH_SCHEME,
        }

    def verify_authorization(self, method: str, path: str, body: bytes, header: str) -> None:
        """Our check of the merchant's signature, as WeChat Pay documents it."""
        scheme, _, params = header.partition(" ")
        if scheme != AUTH_SCHEME:
            raise ApiError(401, "SIGN_ERROR", "Authorization 认证类型错误")
        fields = {}
        for part in params.split(","):
            key, _, value = part.strip().partition("=")
            fields[key] = value.strip('"')
        try:
            if fields["mchid"] != self.mchid:
                raise ApiError(401, "SIGN_ERROR", "商户号与签名不匹配")
            if fields["serial_no"] != self.keys.merchant_serial:
                raise ApiError(401, "SIGN_ERROR", "商户证书序列号有误")
            if abs(time.time() - int(fields["timestamp"])) > TOLERANCE_SECONDS:
                raise ApiError(401, "SIGN_ERROR", "请求时间戳已过期")
            message = (
                f"{method}\n{path}\n{fields['timestamp']}\n{fields['nonce_str']}\n".encode()
                + body
                + b"\n"
            )
            self.keys.merchant_cert.public_key().verify(
                base64.b64decode(fields["signature"]), message, padding.PKCS1v15(), hashes.SHA256()
            )
        except (KeyError, ValueError, InvalidSignature) as error:
            raise ApiError(401, "SIGN_ERROR", "签名错误") from error

    def encrypt(self, plain: str, associated_data: str) -> dict:
        nonce = secrets.token_urlsafe(9)[:12]
        ciphertext = AESGCM(self.apiv3_key.encode()).encrypt(
            nonce.encode(), plain.encode(), associated_data.encode()
        )
        return {
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": base64.b64encode(ciphertext).decode(),
            "associated_data": associated_data,
            "nonce": nonce,
        }

    # --- Notifications -----------------------------------------------------------------

    def notification(
        self, event_type: str, original_type: str, data: dict, *, timestamp: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """A notification as WeChat Pay sends it: the resource encrypted, the body signed."""
        summary = {"TRANSACTION.SUCCESS": "支付成功", "REFUND.SUCCESS": "退款成功"}.get(
            event_type, "退款异常" if event_type == "REFUND.ABNORMAL" else "退款关闭"
        )
        resource = self.encrypt(json.dumps(data, ensure_ascii=False), original_type)
        resource["original_type"] = original_type
        body = json.dumps(
            {
                "id": secrets.token_hex(18),
                "create_time": now_beijing().isoformat(),
                "resource_type": "encrypt-resource",
                "event_type": event_type,
                "summary": summary,
                "resource": resource,
            },
            ensure_ascii=False,
        ).encode()
        return body, self.signed_headers(body, timestamp)

    def _send(self, url: str, event_type: str, original_type: str, data: dict) -> None:
        body, headers = self.notification(event_type, original_type, data)
        record = {"url": url, "event_type": event_type, "body": body.decode(), "headers": headers}
        record["answers"] = []
        self.sent.append(record)
        if not self.mode["deliver"]:
            return
        for _ in range(2 if self.mode["duplicate_notifications"] else 1):
            record["answers"].append(_post(url, body, headers))

    def _trade_data(self, trade: dict) -> dict:
        data = {
            "appid": trade["appid"],
            "mchid": self.mchid,
            "out_trade_no": trade["out_trade_no"],
            "trade_type": TRADE_TYPES.get(trade["channel"], "NATIVE"),
            "trade_state": trade["trade_state"],
            "trade_state_desc": {"SUCCESS": "支付成功", "NOTPAY": "未支付", "CLOSED": "已关闭"}.get(
                trade["trade_state"], trade["trade_state"]
            ),
            "amount": {"total": trade["total"], "currency": "CNY"},
        }
        if trade.get("transaction_id"):
            data.update(
                transaction_id=trade["transaction_id"],
                bank_type="OTHERS",
                success_time=trade["success_time"],
                payer={"openid": trade.get("openid") or "o_emulator_payer"},
            )
            data["amount"].update(payer_total=trade["total"], payer_currency="CNY")
        return data

    def _refund_data(self, refund: dict) -> dict:
        trade = self.trades[refund["out_trade_no"]]
        data = {
            "refund_id": refund["refund_id"],
            "out_refund_no": refund["out_refund_no"],
            "transaction_id": trade["transaction_id"],
            "out_trade_no": trade["out_trade_no"],
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": refund["create_time"],
            "status": refund["status"],
            "funds_account": "AVAILABLE",
            "amount": {
                "total": trade["total"],
                "refund": refund["refund"],
                "payer_total": trade["total"],
                "payer_refund": refund["refund"],
                "settlement_refund": refund["refund"],
                "settlement_total": trade["total"],
                "discount_refund": 0,
                "currency": "CNY",
            },
        }
        if refund.get("success_time"):
            data["success_time"] = refund["success_time"]
        return data

    def _refund_notify(self, refund: dict) -> None:
        if not refund.get("notify_url"):
            return
        data = self._refund_data(refund)
        resource = {
            "mchid": self.mchid,
            "out_trade_no": data["out_trade_no"],
            "transaction_id": data["transaction_id"],
            "out_refund_no": data["out_refund_no"],
            "refund_id": data["refund_id"],
            "refund_status": refund["status"],
            "success_time": refund.get("success_time", ""),
            "user_received_account": data["user_received_account"],
            "amount": {
                k: data["amount"][k] for k in ("total", "refund", "payer_total", "payer_refund")
            },
        }
        self._send(refund["notify_url"], f"REFUND.{refund['status']}", "refund", resource)

    # --- The payer ---------------------------------------------------------------------

    def payer_decides(self, token: str, approve: bool, openid: str = "") -> dict:
        """The payer confirms (or declines) in WeChat; a paid trade is notified."""
        with self.lock:
            trade = self.trades.get(self.tokens.get(token, token))
            if trade is None:
                raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
            if trade["trade_state"] != "NOTPAY":
                return trade
            if not approve or self.mode["decline"]:
                return trade  # WeChat Pay notifies no failure; the trade stays NOTPAY
            trade.update(
                trade_state="SUCCESS",
                transaction_id="42000" + secrets.token_hex(12)[:23],
                success_time=now_beijing().isoformat(),
                openid=trade.get("openid") or openid or "o_emulator_payer",
            )
            data = self._trade_data(trade)
        self._send(trade["notify_url"], "TRANSACTION.SUCCESS", "transaction", data)
        return trade

    def settle_refund(self, out_refund_no: str, status: str) -> dict:
        with self.lock:
            refund = self.refunds.get(out_refund_no)
            if refund is None:
                raise ApiError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
            refund.update(status=status, success_time=now_beijing().isoformat())
        self._refund_notify(refund)
        return refund

    # --- The API -----------------------------------------------------------------------

    def pay(self, channel: str, data: dict) -> dict:
        if data.get("appid") != self.appid or data.get("mchid") != self.mchid:
            raise ApiError(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        total = data.get("amount", {}).get("total")
        if type(total) is not int or total <= 0:
            raise ApiError(400, "PARAM_ERROR", "订单金额必须为正整数（分）")
        for name in ("description", "out_trade_no", "notify_url"):
            if not data.get(name):
                raise ApiError(400, "PARAM_ERROR", f"缺少参数 {name}")
        openid = data.get("payer", {}).get("openid", "")
        if channel == "jsapi" and not openid:
            raise ApiError(400, "PARAM_ERROR", "JSAPI 下单需要 payer.openid")
        if channel == "h5" and not data.get("scene_info", {}).get("payer_client_ip"):
            raise ApiError(400, "PARAM_ERROR", "H5 下单需要 scene_info.payer_client_ip")
        with self.lock:
            trade = self.trades.get(data["out_trade_no"])
            if trade is not None:
                if trade["trade_state"] == "CLOSED":
                    raise ApiError(400, "ORDERCLOSED", "订单已关闭")
                if trade["trade_state"] != "NOTPAY":
                    raise ApiError(400, "ORDERPAID", "该订单已支付")
                if trade["total"] != total:
                    raise ApiError(400, "INVALID_REQUEST", "201 商户订单号重复")
            else:
                trade = {
                    "out_trade_no": data["out_trade_no"],
                    "appid": data["appid"],
                    "total": total,
                    "description": data["description"],
                    "trade_state": "NOTPAY",
                    "created": now_beijing().isoformat(),
                    "pr": secrets.token_urlsafe(12),
                    "prepay_id": "wx" + secrets.token_hex(16),
                }
                self.trades[trade["out_trade_no"]] = trade
                self.tokens[trade["pr"]] = self.tokens[trade["prepay_id"]] = trade["out_trade_no"]
            trade.update(channel=channel, notify_url=data["notify_url"], openid=openid or None)
        if channel == "native":
            return {"code_url": f"weixin://wxpay/bizpayurl?pr={trade['pr']}"}
        if channel == "h5":
            query = urlencode({"prepay_id": trade["prepay_id"], "package": secrets.token_hex(5)})
            return {"h5_url": f"{self.base_url}/_emulator/h5?{query}"}
        return {"prepay_id": trade["prepay_id"]}

    def query(self, out_trade_no: str) -> dict:
        trade = self.trades.get(out_trade_no)
        if trade is None:
            raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
        return self._trade_data(trade)

    def close(self, out_trade_no: str) -> None:
        with self.lock:
            trade = self.trades.get(out_trade_no)
            if trade is None:
                raise ApiError(404, "ORDER_NOT_EXIST", "订单不存在")
            if trade["trade_state"] in ("SUCCESS", "REFUND"):
                raise ApiError(400, "ORDERPAID", "订单已支付")
            trade["trade_state"] = "CLOSED"

    def refund(self, data: dict) -> dict:
        amount = data.get("amount", {})
        refund_fen, total = amount.get("refund"), amount.get("total")
        if type(refund_fen) is not int or type(total) is not int or refund_fen <= 0:
            raise ApiError(400, "PARAM_ERROR", "退款金额必须为正整数（分）")
        if not data.get("out_refund_no"):
            raise ApiError(400, "PARAM_ERROR", "缺少参数 out_refund_no")
        with self.lock:
            existing = self.refunds.get(data["out_refund_no"])
            if existing is not None:
                if existing["refund"] != refund_fen:
                    raise ApiError(400, "INVALID_REQUEST", "退款单号已用于其他金额")
                return self._refund_data(existing)
            trade = self.trades.get(data.get("out_trade_no", ""))
            if trade is None:
                raise ApiError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
            if trade["trade_state"] not in ("SUCCESS", "REFUND"):
                raise ApiError(400, "INVALID_REQUEST", "订单未支付")
            if total != trade["total"]:
                raise ApiError(400, "INVALID_REQUEST", "订单金额与原订单不符")
            done = sum(
                r["refund"]
                for r in self.refunds.values()
                if r["out_trade_no"] == trade["out_trade_no"]
                and r["status"] in ("SUCCESS", "PROCESSING")
            )
            if done + refund_fen > trade["total"]:
                raise ApiError(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
            if self.mode["refund_refused"]:
                raise ApiError(403, "NOT_ENOUGH", "基本账户余额不足，请充值后重新发起")
            status = self.mode["refund_status"]
            refund = {
                "refund_id": "50000" + secrets.token_hex(12)[:24],
                "out_refund_no": data["out_refund_no"],
                "out_trade_no": trade["out_trade_no"],
                "refund": refund_fen,
                "status": status,
                "notify_url": data.get("notify_url", ""),
                "create_time": now_beijing().isoformat(),
            }
            if status != "PROCESSING":
                refund["success_time"] = refund["create_time"]
            self.refunds[refund["out_refund_no"]] = refund
            if status == "SUCCESS" and done + refund_fen == trade["total"]:
                trade["trade_state"] = "REFUND"
            answer = self._refund_data(refund)
        if status != "PROCESSING":
            self._refund_notify(refund)
        return answer

    def query_refund(self, out_refund_no: str) -> dict:
        refund = self.refunds.get(out_refund_no)
        if refund is None:
            raise ApiError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        return self._refund_data(refund)

    def bill(self, bill_date: str, bill_type: str, tar_type: str) -> dict:
        """The day's bill (Beijing time): SUCCESS payments, REFUND refunds, or ALL."""
        rows = []
        if bill_type in ("ALL", "SUCCESS"):
            for trade in self.trades.values():
                if trade.get("success_time", "").startswith(bill_date):
                    rows.append(self._bill_trade_row(trade))
        if bill_type in ("ALL", "REFUND"):
            for refund in self.refunds.values():
                stamp = refund.get("success_time") or refund["create_time"]
                if stamp.startswith(bill_date):
                    rows.append(self._bill_refund_row(refund))
        if not rows:
            raise ApiError(400, "NO_STATEMENT_EXIST", "账单不存在")
        if self.mode["bill_mismatch"]:
            for row in rows:
                if row[9] == "SUCCESS":
                    row[24] = fen_to_yuan(int(row[24].replace(".", "")) + 1)
                    row[12] = row[24]
                    break
        text = self._bill_text(rows)
        token = secrets.token_urlsafe(16)
        content = text.encode()
        self.downloads[token] = gzip.compress(content) if tar_type == "GZIP" else content
        return {
            "hash_type": "SHA1",
            "hash_value": hashlib.sha1(content).hexdigest(),
            "download_url": f"{self.base_url}/v3/billdownload/file?token={token}",
        }

    def _bill_trade_row(self, trade: dict) -> list[str]:
        amount = fen_to_yuan(trade["total"])
        row = [""] * 27
        row[0] = trade["success_time"].replace("T", " ")[:19]
        row[1], row[2], row[5], row[6] = (
            trade["appid"],
            self.mchid,
            trade["transaction_id"],
            trade["out_trade_no"],
        )
        row[7], row[8], row[9], row[10] = (
            trade.get("openid") or "",
            TRADE_TYPES[trade["channel"]],
            "SUCCESS",
            "OTHERS",
        )
        row[11], row[12], row[13], row[16], row[17] = "CNY", amount, "0.00", "0.00", "0.00"
        row[20], row[22], row[23], row[24], row[25] = (
            trade["description"],
            "0.00",
            "0.60%",
            amount,
            "0.00",
        )
        return row

    def _bill_refund_row(self, refund: dict) -> list[str]:
        trade = self.trades[refund["out_trade_no"]]
        row = self._bill_trade_row(trade)
        refunded = fen_to_yuan(refund["refund"])
        row[0] = (refund.get("success_time") or refund["create_time"]).replace("T", " ")[:19]
        row[9], row[12] = "REFUND", "0.00"
        row[14], row[15], row[16], row[18] = (
            refund["refund_id"],
            refund["out_refund_no"],
            refunded,
            "ORIGINAL",
        )
        row[19], row[25] = refund["status"], refunded
        return row

    @staticmethod
    def _bill_text(rows: list[list[str]]) -> str:
        lines = [BILL_HEADER]
        lines += [",".join(f"`{value}" for value in row) for row in rows]
        paid = sum(int(r[12].replace(".", "")) for r in rows if r[9] == "SUCCESS")
        refunded = sum(int(r[25].replace(".", "")) for r in rows if r[9] == "REFUND")
        lines.append(
            "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
        )
        lines.append(
            f"`{len(rows)},`{fen_to_yuan(paid)},`{fen_to_yuan(refunded)},`0.00,`0.00,"
            f"`{fen_to_yuan(paid)},`{fen_to_yuan(refunded)}"
        )
        return "\r\n".join(lines) + "\r\n"

    def certificates(self) -> dict:
        pem = self.keys.platform_cert.public_bytes(serialization.Encoding.PEM).decode()
        cert = self.keys.platform_cert
        return {
            "data": [
                {
                    "serial_no": self.keys.platform_serial,
                    "effective_time": cert.not_valid_before_utc.astimezone(BEIJING).isoformat(),
                    "expire_time": cert.not_valid_after_utc.astimezone(BEIJING).isoformat(),
                    "encrypt_certificate": self.encrypt(pem, "certificate"),
                }
            ]
        }

    # --- WSGI --------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        try:
            response = self.route(method, path, query, body, environ)
        except ApiError as error:
            payload = {"code": error.code, "message": error.message}
            response = Response(error.status, json.dumps(payload, ensure_ascii=False).encode())
        if response.sign and response.status < 300:
            response.headers.update(self.signed_headers(response.body))
        response.headers.setdefault("Content-Type", response.content_type)
        response.headers["Request-ID"] = secrets.token_hex(8)
        delay = self.mode["timeout_seconds"]
        if delay and path.startswith("/v3/"):
            time.sleep(delay)  # the work is done; the answer comes too late
        status = f"{response.status} {HTTPStatus(response.status).phrase}"
        start_response(status, list(response.headers.items()))
        return [response.body]

    def route(self, method: str, path: str, query: str, body: bytes, environ: dict) -> Response:
        params = {k: v[0] for k, v in parse_qs(query).items()}
        if path.startswith("/_emulator/"):
            return self.control(method, path, params, body)
        if path.startswith("/connect/") or path.startswith("/sns/"):
            return self.oauth(path, params)
        if not path.startswith("/v3/"):
            raise ApiError(404, "NOT_FOUND", "接口不存在")
        full_path = f"{path}?{query}" if query else path
        self.verify_authorization(method, full_path, body, environ.get("HTTP_AUTHORIZATION", ""))
        data = json.loads(body) if body else {}
        parts = path.strip("/").split("/")
        if method == "POST" and parts[:3] == ["v3", "pay", "transactions"] and len(parts) == 4:
            if parts[3] not in TRADE_TYPES:
                raise ApiError(404, "NOT_FOUND", "接口不存在")
            return self._json(self.pay(parts[3], data))
        if parts[:4] == ["v3", "pay", "transactions", "out-trade-no"]:
            if params.get("mchid", data.get("mchid")) != self.mchid:
                raise ApiError(400, "PARAM_ERROR", "mchid 有误")
            if method == "GET" and len(parts) == 5:
                return self._json(self.query(parts[4]))
            if method == "POST" and len(parts) == 6 and parts[5] == "close":
                self.close(parts[4])
                return Response(204)
        if parts[:4] == ["v3", "refund", "domestic", "refunds"]:
            if method == "POST" and len(parts) == 4:
                return self._json(self.refund(data))
            if method == "GET" and len(parts) == 5:
                return self._json(self.query_refund(parts[4]))
        if method == "GET" and path == "/v3/bill/tradebill":
            return self._json(
                self.bill(
                    params.get("bill_date", ""),
                    params.get("bill_type", "ALL"),
                    params.get("tar_type", ""),
                )
            )
        if method == "GET" and path == "/v3/billdownload/file":
            content = self.downloads.get(params.get("token", ""))
            if content is None:
                raise ApiError(404, "NOT_FOUND", "账单已过期")
            return Response(200, content, "application/octet-stream", sign=False)
        if method == "GET" and path == "/v3/certificates":
            return self._json(self.certificates())
        raise ApiError(404, "NOT_FOUND", "接口不存在")

    @staticmethod
    def _json(data: dict) -> Response:
        return Response(200, json.dumps(data, ensure_ascii=False).encode())

    def oauth(self, path: str, params: dict) -> Response:
        """The official account platform's snsapi_base step (no consent page)."""
        if path == "/connect/oauth2/authorize":
            if params.get("appid") != self.appid or params.get("scope") != "snsapi_base":
                return Response(400, b"invalid appid or scope", "text/plain", sign=False)
            code = secrets.token_urlsafe(16)
            self.codes[code] = "o" + hashlib.sha1(code.encode()).hexdigest()[:27]
            target = params.get("redirect_uri", "")
            joiner = "&" if "?" in target else "?"
            location = (
                f"{target}{joiner}{urlencode({'code': code, 'state': params.get('state', '')})}"
            )
            return Response(302, b"", "text/plain", {"Location": location}, sign=False)
        if path == "/sns/oauth2/access_token":
            openid = self.codes.pop(params.get("code", ""), None)
            ok = params.get("appid") == self.appid and params.get("secret") == self.app_secret
            if openid is None or not ok:
                answer = {"errcode": 40029, "errmsg": "invalid code"}
            else:
                answer = {
                    "access_token": secrets.token_urlsafe(24),
                    "expires_in": 7200,
                    "refresh_token": secrets.token_urlsafe(24),
                    "openid": openid,
                    "scope": "snsapi_base",
                }
            return Response(200, json.dumps(answer).encode(), sign=False)
        raise ApiError(404, "NOT_FOUND", "接口不存在")

    def control(self, method: str, path: str, params: dict, body: bytes) -> Response:
        """The payer's page and the tests' controls (not part of WeChat Pay's API)."""
        parts = path.strip("/").split("/")[1:]
        if parts == ["h5"] and method == "GET":
            return self._payer_page(params.get("prepay_id", ""), params.get("redirect_url", ""))
        if len(parts) == 2 and parts[0] == "pay":
            if method == "GET":
                return self._payer_page(parts[1], params.get("redirect_url", ""))
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            trade = self.payer_decides(parts[1], form.get("action") == "confirm")
            back = form.get("redirect_url", "")
            if back:
                return Response(302, b"", "text/plain", {"Location": back}, sign=False)
            return self._json_plain({"trade_state": trade["trade_state"]})
        data = json.loads(body) if body else {}
        if parts == ["mode"] and method == "POST":
            unknown = set(data) - set(DEFAULT_MODE)
            if unknown:
                raise ApiError(400, "PARAM_ERROR", f"unknown modes {sorted(unknown)}")
            self.mode.update(data)
            return self._json_plain(self.mode)
        if parts == ["reset"] and method == "POST":
            self.reset()
            return self._json_plain({})
        if parts == ["notifications"] and method == "GET":
            return self._json_plain({"notifications": self.sent})
        if parts == ["notifications", "craft"] and method == "POST":
            return self._json_plain(self._craft(data))
        if len(parts) == 3 and parts[0] == "refunds" and parts[2] == "settle" and method == "POST":
            return self._json_plain(self.settle_refund(parts[1], data.get("status", "SUCCESS")))
        if parts == ["trades"] and method == "GET":
            return self._json_plain({"trades": list(self.trades.values())})
        raise ApiError(404, "NOT_FOUND", "no such control")

    def _craft(self, data: dict) -> dict:
        """A validly signed TRANSACTION.SUCCESS for any trade, amount and timestamp, not
        delivered: what tests need for stale, tampered-amount and unknown-trade cases."""
        trade = self.trades.get(data.get("out_trade_no", ""))
        resource = {
            "appid": self.appid,
            "mchid": self.mchid,
            "out_trade_no": data.get("out_trade_no", ""),
            "transaction_id": (trade or {}).get("transaction_id")
            or "42000" + secrets.token_hex(11),
            "trade_type": "NATIVE",
            "trade_state": "SUCCESS",
            "success_time": now_beijing().isoformat(),
            "amount": {
                "total": data.get("total", (trade or {}).get("total", 1)),
                "currency": "CNY",
            },
            "payer": {"openid": "o_emulator_payer"},
        }
        body, headers = self.notification(
            "TRANSACTION.SUCCESS", "transaction", resource, timestamp=data.get("timestamp")
        )
        return {"body": body.decode(), "headers": headers}

    @staticmethod
    def _json_plain(data: dict) -> Response:
        return Response(200, json.dumps(data, ensure_ascii=False, default=str).encode(), sign=False)

    def _payer_page(self, token: str, redirect_url: str) -> Response:
        trade = self.trades.get(self.tokens.get(token, token))
        if trade is None:
            return Response(
                404, "<p>订单不存在</p>".encode(), "text/html; charset=utf-8", sign=False
            )
        escaped = html.escape(redirect_url, quote=True)
        action = html.escape(f"/_emulator/pay/{token}", quote=True)
        state = trade["trade_state"]
        form = (
            f'<form method="post" action="{action}">'
            f'<input type="hidden" name="redirect_url" value="{escaped}">'
            '<button name="action" value="confirm">确认支付</button> '
            '<button name="action" value="decline">取消</button></form>'
            if state == "NOTPAY"
            else f"<p>订单状态：{html.escape(state)}</p>"
        )
        page = (
            '<!doctype html><html lang="zh-Hans"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>微信支付（模拟器）</title><h1>微信支付（模拟器）</h1>"
            f"<p>{html.escape(trade['description'])}</p>"
            f'<p class="amount">¥{fen_to_yuan(trade["total"])}</p>{form}</html>'
        )
        return Response(200, page.encode(), "text/html; charset=utf-8", sign=False)


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={**headers, "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (urllib.error.URLError, TimeoutError, OSError):
        return 0
