"""The contract's value types: money objects and opaque, typed ids."""

from decimal import Decimal, InvalidOperation

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shop.payments.models import CURRENCY

MONEY_SCHEMA = {
    "type": "object",
    "required": ["value", "currency"],
    "properties": {
        "value": {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "example": "199.00"},
        "currency": {"type": "string", "enum": [CURRENCY]},
    },
}


def money(amount: Decimal) -> dict:
    return {"value": f"{amount:.2f}", "currency": CURRENCY}


@extend_schema_field(MONEY_SCHEMA)
class MoneyField(serializers.Field):
    """`{"value": "199.00", "currency": "CNY"}`: exact decimal text, never a float."""

    default_error_messages = {
        "invalid": 'Give money as {{"value": "199.00", "currency": "CNY"}}.',
        "currency": f"Only {CURRENCY} is accepted.",
        "positive": "Must be more than 0.00.",
        "max": "Must be at most {max}.",
    }

    def __init__(self, *, max_value: Decimal | None = None, **kwargs: object) -> None:
        self.max_value = max_value
        super().__init__(**kwargs)

    def to_representation(self, value: Decimal) -> dict:
        return money(value)

    def to_internal_value(self, data: object) -> Decimal:
        if not isinstance(data, dict) or not isinstance(data.get("value"), str):
            self.fail("invalid")
        if data.get("currency") != CURRENCY:
            self.fail("currency")
        try:
            value = Decimal(data["value"])
        except InvalidOperation:
            self.fail("invalid")
        if not value.is_finite() or value.as_tuple().exponent < -2:  # at most two decimals
            self.fail("invalid")
        if value <= 0:
            self.fail("positive")
        if self.max_value is not None and value > self.max_value:
            self.fail("max", max=f"{self.max_value:.2f}")
        if value.adjusted() >= 12:  # beyond any amount the ledger's columns hold
            self.fail("max", max="999999999999.99")
        return value.quantize(Decimal("0.01"))


@extend_schema_field(OpenApiTypes.STR)
class PublicIdField(serializers.Field):
    """An id such as `gift_123`. Opaque to partners: only this code parses it."""

    default_error_messages = {"invalid": "Not a valid {prefix} id."}

    def __init__(self, prefix: str, **kwargs: object) -> None:
        self.prefix = prefix
        super().__init__(**kwargs)

    def to_representation(self, value: object) -> str:
        return public_id(self.prefix, getattr(value, "pk", value))

    def to_internal_value(self, data: object) -> int:
        pk = parse_id(self.prefix, data)
        if pk is None:
            self.fail("invalid", prefix=self.prefix)
        return pk


def public_id(prefix: str, pk: int) -> str:
    return f"{prefix}_{pk}"


def parse_id(prefix: str, value: object) -> int | None:
    """The primary key in `value`, or None when it is not one of ours (any 404 path)."""
    if not isinstance(value, str):
        return None
    head, _, digits = value.partition("_")
    if head != prefix or not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
        return None
    if digits != str(int(digits)):  # one spelling per id: no leading zeros
        return None
    return int(digits)
