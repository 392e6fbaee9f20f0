"""RSA2 (SHA256withRSA, PKCS#1 v1.5) as Alipay documents it, for the emulator's side.

- Our requests: every parameter except `sign` and empty values, sorted by name, joined as
  `k=v&k=v` (values not URL-encoded), signed with the app's private key.
- Alipay's answers: the signature covers the exact `<method>_response` JSON text.
- Async notifications: every parameter except `sign` and `sign_type`, sorted, `k=v&…`.
"""

import base64
import binascii
from collections.abc import Mapping

from Cryptodome.Hash import SHA256
from Cryptodome.PublicKey import RSA
from Cryptodome.PublicKey.RSA import RsaKey
from Cryptodome.Signature import pkcs1_15


def request_content(params: Mapping[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and v != "")


def notification_content(params: Mapping[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in ("sign", "sign_type"))


def sign(content: str, key: RsaKey) -> str:
    return base64.b64encode(pkcs1_15.new(key).sign(SHA256.new(content.encode()))).decode()


def verify(content: str, signature: str, key: RsaKey) -> bool:
    try:
        pkcs1_15.new(key).verify(SHA256.new(content.encode()), base64.b64decode(signature))
    except (ValueError, TypeError, binascii.Error):
        return False
    return True


def new_key() -> RsaKey:
    return RSA.generate(2048)


def public_pem(key: RsaKey) -> str:
    return key.public_key().export_key().decode()


def private_pem(key: RsaKey) -> str:
    return key.export_key(pkcs=8).decode()
