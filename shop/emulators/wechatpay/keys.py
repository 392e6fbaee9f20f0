"""The emulator's key material: WeChat Pay's platform key (with a certificate and a public
key id, as WeChat Pay issues both) and, for local use, a merchant key and certificate.

Loaded from a directory if there, else generated and written there, so the shop and the
emulator started by `make run` agree on them.
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

PLATFORM_KEY = "platform_private_key.pem"
PLATFORM_CERT = "platform_cert.pem"
PLATFORM_PUBLIC_KEY = "platform_public_key.pem"
MERCHANT_KEY = "merchant_private_key.pem"
MERCHANT_CERT = "merchant_cert.pem"
PUBLIC_KEY_ID_FILE = "platform_public_key_id.txt"


@dataclass(frozen=True)
class KeySet:
    platform_key: rsa.RSAPrivateKey
    platform_cert: x509.Certificate
    public_key_id: str
    merchant_cert: x509.Certificate

    @property
    def platform_serial(self) -> str:
        return format(self.platform_cert.serial_number, "X")

    @property
    def merchant_serial(self) -> str:
        return format(self.merchant_cert.serial_number, "X")


def _certificate(key: rsa.RSAPrivateKey, name: str) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )


def _pem_key(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_or_create(directory: Path) -> KeySet:
    """The key set in `directory`, made (2048-bit RSA) the first time."""
    directory.mkdir(parents=True, exist_ok=True)
    if not (directory / PLATFORM_KEY).exists():
        platform = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        merchant = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (directory / PLATFORM_KEY).write_bytes(_pem_key(platform))
        (directory / PLATFORM_CERT).write_bytes(
            _certificate(platform, "Tenpay.com Root CA (emulator)").public_bytes(
                serialization.Encoding.PEM
            )
        )
        (directory / PLATFORM_PUBLIC_KEY).write_bytes(
            platform.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        (directory / PUBLIC_KEY_ID_FILE).write_text(f"PUB_KEY_ID_{secrets.token_hex(12).upper()}")
        (directory / MERCHANT_KEY).write_bytes(_pem_key(merchant))
        (directory / MERCHANT_CERT).write_bytes(
            _certificate(merchant, "merchant (emulator)").public_bytes(serialization.Encoding.PEM)
        )
    return KeySet(
        platform_key=serialization.load_pem_private_key(
            (directory / PLATFORM_KEY).read_bytes(), password=None
        ),
        platform_cert=x509.load_pem_x509_certificate((directory / PLATFORM_CERT).read_bytes()),
        public_key_id=(directory / PUBLIC_KEY_ID_FILE).read_text().strip(),
        merchant_cert=x509.load_pem_x509_certificate((directory / MERCHANT_CERT).read_bytes()),
    )
