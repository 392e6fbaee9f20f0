"""What the domain reports, and the registry that turns a report into outbox rows.

A report is written in the transaction of the change it reports, so an event exists
exactly when its change committed. Its body is built there and then by the builder the
API registered for its type, from the same representation `GET` returns, so a webhook
body equals what `GET` answered at that moment.
"""

from collections.abc import Callable, Iterable, Sequence

from .outbox import emit

ORDER_PAID = "order.paid"
ORDER_SHIPPED = "order.shipped"
GIFT_ACCEPTED = "gift.accepted"
GIFT_DECLINED = "gift.declined"
GIFT_EXPIRED = "gift.expired"
GIFT_CANCELLED = "gift.cancelled"
GIFT_REFUNDED = "gift.refunded"
GIFT_SHIPPED = "gift.shipped"
GIFT_THANKED = "gift.thanked"
GIFT_FUNDED = "gift.funded"
GIFT_FUNDING_FAILED = "gift.funding_failed"
APPLICATION_APPROVED = "merchant_application.approved"
APPLICATION_REJECTED = "merchant_application.rejected"
PRODUCT_APPROVED = "product.approved"
PRODUCT_REJECTED = "product.rejected"
CHANGE_REQUESTED = "change_request.created"
CHANGE_APPROVED = "change_request.approved"
CHANGE_REJECTED = "change_request.rejected"
CHANGE_EXPIRED = "change_request.expired"

EVENT_TYPES = (
    ORDER_PAID,
    ORDER_SHIPPED,
    GIFT_ACCEPTED,
    GIFT_DECLINED,
    GIFT_EXPIRED,
    GIFT_CANCELLED,
    GIFT_REFUNDED,
    GIFT_SHIPPED,
    GIFT_THANKED,
    GIFT_FUNDED,
    GIFT_FUNDING_FAILED,
    APPLICATION_APPROVED,
    APPLICATION_REJECTED,
    PRODUCT_APPROVED,
    PRODUCT_REJECTED,
    CHANGE_REQUESTED,
    CHANGE_APPROVED,
    CHANGE_REJECTED,
    CHANGE_EXPIRED,
)

# (event type, subjects) → (partner id, event type, data) for each partner concerned. A
# builder may add related events: an order's shipment is also its gift's.
Builder = Callable[[str, Sequence[object]], Iterable[tuple[int, str, dict]]]

_builders: dict[str, Builder] = {}


def register(kinds: Iterable[str], builder: Builder) -> None:
    """Called once per event type at start-up, by the layer that presents the events."""
    for kind in kinds:
        if kind not in EVENT_TYPES:
            raise ValueError(f"Unknown webhook event type {kind!r}.")
        if _builders.get(kind, builder) is not builder:
            raise ValueError(f"Webhook event type {kind!r} already has a builder.")
        _builders[kind] = builder


def report(kind: str, subjects: Sequence[object]) -> None:
    """Write `kind` for these subjects (instances, or ids where the builder says so) to
    the outbox of every partner concerned; nothing when none is, the common case.

    Call inside the transaction of the change being reported.
    """
    try:
        builder = _builders[kind]
    except KeyError:
        raise LookupError(f"No webhook builder is registered for {kind!r}.") from None
    if subjects:
        emit(builder(kind, subjects))
