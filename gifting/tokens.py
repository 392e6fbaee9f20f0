"""Share-link tokens: unguessable, stored only as a hash, yet re-showable to the sender.

Each gift gets a 128-bit salt from `secrets`. The token is HMAC-SHA256(GIFT_TOKEN_KEY,
salt): 256 bits that nobody can compute without the key, which lives in the settings, not
the database. The database keeps the salt and SHA-256(token), so a leaked dump yields no
claimable link, while the server can show the sender the same link again (to share it
once more after a reminder) without storing it.
"""

import base64
import hashlib
import hmac
import secrets

from django.conf import settings


def new_salt() -> str:
    return secrets.token_hex(16)


def token_for(salt: str) -> str:
    digest = hmac.new(settings.GIFT_TOKEN_KEY.encode(), salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Tracking links: the claim's id and an HMAC of it under GIFT_TOKEN_KEY (its own purpose,
# so no share-link token is ever a tracking token). Nothing is stored: the link can be
# made again for the page, and nobody makes one without the key.
_TRACK = b"track:"


def _tracking_mac(claim_id: int) -> str:
    digest = hmac.new(
        settings.GIFT_TOKEN_KEY.encode(), _TRACK + str(claim_id).encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def tracking_token(claim_id: int) -> str:
    return f"{claim_id}.{_tracking_mac(claim_id)}"


def tracking_claim_id(token: str) -> int | None:
    """The claim a tracking token names, or None for a token not made with our key."""
    claim_id, _, mac = token.partition(".")
    if not claim_id.isdigit() or len(claim_id) > 18:
        return None
    return int(claim_id) if hmac.compare_digest(mac, _tracking_mac(int(claim_id))) else None
