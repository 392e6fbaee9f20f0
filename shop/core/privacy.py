"""Masking personal data for people who should know *that*, not *what* (senders, lists)."""


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***, Alice → A****."""
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


def mask_phone(phone: str) -> str:
    """13800138000 → 138****8000."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 11 else "****"
