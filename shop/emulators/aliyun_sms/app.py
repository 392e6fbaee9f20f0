"""The emulated Alibaba Cloud SMS endpoint: one WSGI app, state in memory.

It speaks what Dysmsapi documents for `SendSms` (RPC style, version 2017-05-25):
- The V3 signature: `Authorization: ACS3-HMAC-SHA256 Credential=<AccessKeyId>,
  SignedHeaders=<names>,Signature=<hex>`, the HMAC-SHA256 under the AccessKey secret of
  `ACS3-HMAC-SHA256\\n<hex SHA-256 of the canonical request>`, where the canonical request
  is method, path, the sorted percent-encoded query, the signed headers (`name:value`),
  their names, and `x-acs-content-sha256` (the body's SHA-256, checked too). `host` and
  every `x-acs-*` header must be signed; `x-acs-date` must be within 15 minutes, and a
  `x-acs-signature-nonce` is accepted once. Refusals are HTTP 4xx with `Code`:
  `InvalidAccessKeyId.NotFound` (404), `SignatureDoesNotMatch`, `IncompleteSignature`,
  `InvalidTimeStamp.Expired`, `SignatureNonceUsed`, `MissingParameter` (400).
- `SendSms` answers 200, `{"Code": "OK", "BizId": …}` or a business error code:
  `isv.MOBILE_NUMBER_ILLEGAL`, `isv.SMS_SIGNATURE_ILLEGAL`, `isv.SMS_TEMPLATE_ILLEGAL`,
  `isv.TEMPLATE_MISSING_PARAMETERS`, `isv.INVALID_JSON_PARAM`, and flow control per
  number, `isv.BUSINESS_LIMIT_CONTROL` (`触发分钟级流控Permits:<n>`) past `per_minute`
  messages to one number in a minute.

Control endpoints for tests (not Aliyun's): `GET /_emulator/messages` (what was sent),
`POST /_emulator/reset`.
"""

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote

ALGORITHM = "ACS3-HMAC-SHA256"
TIME_TOLERANCE_SECONDS = 15 * 60
MOBILE = re.compile(r"^(\+?86)?1[3-9]\d{9}$")
VARIABLE = re.compile(r"\$\{(\w+)\}")


@dataclass
class SentMessage:
    phone: str
    sign_name: str
    template_code: str
    params: dict
    out_id: str
    biz_id: str
    text: str


@dataclass
class AliyunSmsEmulator:
    access_keys: dict[str, str]  # AccessKey id → secret
    sign_names: set[str]
    templates: dict[str, str]  # template code → text with ${name} variables
    per_minute: int = 1
    messages: list[SentMessage] = field(default_factory=list)
    _nonces: set[str] = field(default_factory=set)
    _sent_at: dict[str, list[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        method = environ["REQUEST_METHOD"]
        if path == "/_emulator/messages" and method == "GET":
            with self._lock:
                body = [m.__dict__ for m in self.messages]
            return _json(start_response, 200, body)
        if path == "/_emulator/reset" and method == "POST":
            with self._lock:
                self.messages.clear()
                self._nonces.clear()
                self._sent_at.clear()
            return _json(start_response, 200, {"reset": True})
        length = int(environ.get("CONTENT_LENGTH") or 0)
        payload = environ["wsgi.input"].read(length) if length else b""
        request_id = secrets.token_hex(16).upper()
        refusal = self._refuse_signature(environ, method, path, payload)
        if refusal:
            status, code, message = refusal
            return _json(
                start_response, status, {"Code": code, "Message": message, "RequestId": request_id}
            )
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        query.update(parse_qsl(payload.decode(), keep_blank_values=True))
        action = _header(environ, "x-acs-action")
        if action != "SendSms" or _header(environ, "x-acs-version") != "2017-05-25":
            return _json(
                start_response,
                404,
                {
                    "Code": "InvalidAction.NotFound",
                    "Message": f"Specified api {action} is not found.",
                    "RequestId": request_id,
                },
            )
        code, message, biz_id = self._send_sms(query)
        answer = {"Code": code, "Message": message, "RequestId": request_id}
        if biz_id:
            answer["BizId"] = biz_id
        return _json(start_response, 200, answer)

    # --- The signature ----------------------------------------------------------------

    def _refuse_signature(
        self, environ: dict, method: str, path: str, payload: bytes
    ) -> tuple[int, str, str] | None:
        authorization = _header(environ, "authorization") or ""
        scheme, _, rest = authorization.partition(" ")
        parts = dict(item.split("=", 1) for item in rest.split(",") if "=" in item)
        if scheme != ALGORITHM or not {"Credential", "SignedHeaders", "Signature"} <= parts.keys():
            return (
                400,
                "IncompleteSignature",
                "The request signature does not conform to Aliyun standards.",
            )
        secret = self.access_keys.get(parts["Credential"])
        if secret is None:
            return 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
        signed = parts["SignedHeaders"].split(";")
        required = {"host", "x-acs-action", "x-acs-version", "x-acs-date"}
        required |= {"x-acs-signature-nonce", "x-acs-content-sha256"}
        if not required <= set(signed) or signed != sorted(signed):
            return (
                400,
                "IncompleteSignature",
                "The request signature does not sign host and x-acs-*.",
            )
        content_hash = _header(environ, "x-acs-content-sha256") or ""
        if hashlib.sha256(payload).hexdigest() != content_hash:
            return 400, "SignatureDoesNotMatch", "x-acs-content-sha256 does not match the body."
        canonical = "\n".join(
            [
                method,
                path or "/",
                _canonical_query(environ.get("QUERY_STRING", "")),
                "".join(f"{name}:{(_header(environ, name) or '').strip()}\n" for name in signed),
                ";".join(signed),
                content_hash,
            ]
        )
        to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        expected = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, parts["Signature"]):
            return (
                400,
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation.",
            )
        try:
            stamp = datetime.strptime(_header(environ, "x-acs-date") or "", "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return (
                400,
                "InvalidTimeStamp.Format",
                "Specified time stamp or date value is not well formatted.",
            )
        if abs(time.time() - stamp.replace(tzinfo=UTC).timestamp()) > TIME_TOLERANCE_SECONDS:
            return 400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
        nonce = _header(environ, "x-acs-signature-nonce") or ""
        with self._lock:
            if nonce in self._nonces:
                return 400, "SignatureNonceUsed", "Specified signature nonce was used already."
            self._nonces.add(nonce)
        return None

    # --- SendSms ----------------------------------------------------------------------

    def _send_sms(self, query: dict) -> tuple[str, str, str]:
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not query.get(name):
                return "MissingParameter", f"{name} is mandatory for this action.", ""
        phone = query["PhoneNumbers"]
        if not MOBILE.match(phone):
            return "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号", ""
        if query["SignName"] not in self.sign_names:
            return "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名", ""
        template = self.templates.get(query["TemplateCode"])
        if template is None:
            return "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板", ""
        try:
            params = json.loads(query.get("TemplateParam") or "{}")
        except ValueError:
            return "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值", ""
        if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
            return "isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值", ""
        missing = [name for name in VARIABLE.findall(template) if name not in params]
        if missing:
            return "isv.TEMPLATE_MISSING_PARAMETERS", f"模板缺少变量: {missing[0]}", ""
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._sent_at.get(phone, []) if now - t < 60]
            if len(recent) >= self.per_minute:
                return "isv.BUSINESS_LIMIT_CONTROL", f"触发分钟级流控Permits:{self.per_minute}", ""
            self._sent_at[phone] = [*recent, now]
            biz_id = f"{secrets.randbelow(10**15):015d}^0"
            text = VARIABLE.sub(lambda m: params[m.group(1)], template)
            self.messages.append(
                SentMessage(
                    phone=phone,
                    sign_name=query["SignName"],
                    template_code=query["TemplateCode"],
                    params=params,
                    out_id=query.get("OutId", ""),
                    biz_id=biz_id,
                    text=f"【{query['SignName']}】{text}",
                )
            )
        return "OK", "OK", biz_id


def _header(environ: dict, name: str) -> str | None:
    key = name.upper().replace("-", "_")
    if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        return environ.get(key)
    return environ.get(f"HTTP_{key}")


def _canonical_query(query_string: str) -> str:
    pairs = sorted(parse_qsl(query_string, keep_blank_values=True))
    return "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in pairs)


def _json(start_response: Callable, status: int, body: object) -> list[bytes]:
    data = json.dumps(body, ensure_ascii=False).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}[status]
    start_response(
        f"{status} {reason}",
        [("Content-Type", "application/json;charset=utf-8"), ("Content-Length", str(len(data)))],
    )
    return [data]
