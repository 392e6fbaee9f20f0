"""Reads for chip-in gifts. Nobody is shown another person's amount: contributors see the
chip-in's progress and the others' names, the recipient a line of first names."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shop.payments.services import RefundSpec

from .. import tokens
from ..models import ChipIn, Contribution

C = ChipIn.Status
CS = Contribution.Status
# Who the recipient is told the gift is from, before "and N friends".
NAMES_SHOWN = 2


def refund_key(contribution_id: int) -> str:
    """The one idempotency key of a share's refund, whichever path gives it back."""
    return f"chipin:{contribution_id}"


def refund_spec(contribution: Contribution) -> RefundSpec:
    return RefundSpec(
        payment_id=contribution.payment_id,
        amount=contribution.amount,
        subject=refund_key(contribution.pk),
        subject_limit=contribution.amount,
        idempotency_key=refund_key(contribution.pk),
        reason="Chip-in share back",
    )


def refund_specs(gift_ids: list[int]) -> dict[int, list[RefundSpec]]:
    """For the chip-in gifts among `gift_ids`: a refund for each paid share (one query)."""
    paid = (
        Contribution.objects.filter(chip_in__gift_id__in=gift_ids, status=CS.PAID)
        .select_related("chip_in")
        .order_by("pk")
    )
    specs: dict[int, list[RefundSpec]] = {}
    for contribution in paid:
        specs.setdefault(contribution.chip_in.gift_id, []).append(refund_spec(contribution))
    return specs


def share_url(chip_in: ChipIn) -> str:
    """The link the organiser shares with friends (not the recipient's claim link)."""
    return settings.SITE_URL + reverse(
        "gifting:chip_in", args=[tokens.token_for(chip_in.token_salt)]
    )


def chip_in_by_token(token: str) -> ChipIn | None:
    if not token or len(token) > 100:
        return None
    return (
        ChipIn.objects.select_related("gift__sku__product__merchant")
        .filter(token_hash=tokens.token_hash(token))
        .first()
    )


def chip_ins_organised(*, user: object) -> QuerySet[ChipIn]:
    return ChipIn.objects.filter(organiser=user).select_related("gift__sku__product")


def _contributors(chip_in: ChipIn) -> dict[int, str]:
    """User id → name of those whose share arrived, first payer first, each person once."""
    seen: dict[int, str] = {}
    for user_id, name in (
        chip_in.contributions.filter(status__in=[CS.PAID, CS.REFUNDED])
        .order_by("paid_at", "pk")
        .values_list("user_id", "display_name")
    ):
        seen.setdefault(user_id, name)
    return seen


def contributor_names(chip_in: ChipIn) -> list[str]:
    """The names of those whose share arrived, first payer first, each person once."""
    return list(_contributors(chip_in).values())


def from_line(gift: object) -> str:
    """What the recipient of a chip-in gift reads: "from A, B and 3 friends" (the
    organiser's name first); "" for a gift one person paid for."""
    try:
        chip_in = gift.chip_in  # loaded with the gift on the claim page (gift_by_token)
    except ChipIn.DoesNotExist:
        return ""
    # The organiser is named once, as the gift's "from", whatever name their share took.
    names = [gift.sender_name]
    names += [
        name
        for user_id, name in _contributors(chip_in).items()
        if user_id != gift.sender_id and name != gift.sender_name
    ]
    if len(names) == 1:
        return _("from %(name)s") % {"name": names[0]}
    if len(names) <= NAMES_SHOWN:
        return _("from %(first)s and %(second)s") % {"first": names[0], "second": names[1]}
    others = len(names) - NAMES_SHOWN
    return ngettext(
        "from %(first)s, %(second)s and %(count)d friend",
        "from %(first)s, %(second)s and %(count)d friends",
        others,
    ) % {"first": names[0], "second": names[1], "count": others}


@dataclass(frozen=True)
class ChipInView:
    """A chip-in as a contributor sees it: where it stands, never anyone's amount but
    their own."""

    status: str
    label: str
    is_open: bool
    target: Decimal
    left: Decimal
    percent: int
    names: list[str]
    mine: list[Contribution]


def chip_in_view(chip_in: ChipIn, user: object | None) -> ChipInView:
    mine = (
        list(chip_in.contributions.filter(user=user).select_related("payment"))
        if user is not None and user.is_authenticated
        else []
    )
    return ChipInView(
        status=chip_in.status,
        label=C(chip_in.status).label,
        is_open=chip_in.status == C.OPEN,
        target=chip_in.target,
        left=chip_in.left,
        percent=int(chip_in.paid * 100 / chip_in.target),
        names=contributor_names(chip_in),
        mine=mine,
    )


def payment_return_path(payment: object) -> str:
    """Where a contributor comes back to after paying a share: the chip-in's status page."""
    contribution = Contribution.objects.filter(payment=payment).only("chip_in_id").first()
    if contribution is None:
        return reverse("gifting:chip_in_mine")
    return reverse("gifting:chip_in_status", args=[contribution.chip_in_id])


def contributions_of(*, user: object) -> QuerySet[Contribution]:
    return (
        Contribution.objects.filter(user=user)
        .select_related("chip_in__gift__sku__product")
        .order_by("-created_at")
    )
