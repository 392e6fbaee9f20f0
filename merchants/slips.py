"""Packing slips and pick lists as PDF: what goes in the box, and what to take off the shelf.

A slip names the recipient and the address (it goes on the box) and the items with their
quantities, never a price (merchants put slips in boxes). A gift order's slip carries the
sender's display name and message instead, and asks for the greeting card when the shop
includes one (`Merchant.includes_greeting_card`). A pick list adds up the units of each
SKU across the orders. Text is in the active language (the admin's).

reportlab's built-in CID font STSong-Light renders Chinese (and Latin) with no font file,
so the PDFs are made offline on any machine. Everything drawn is escaped first: a sender's
message is text, never markup.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shop.core.errors import DomainError
from shop.orders.models import Order

MAX_ORDERS_PER_PDF = 200
FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

TITLE = ParagraphStyle("slip-title", fontName=FONT, fontSize=16, leading=22, spaceAfter=4 * mm)
BODY = ParagraphStyle("slip-body", fontName=FONT, fontSize=11, leading=16)
NOTE = ParagraphStyle("slip-note", parent=BODY, fontSize=13, leading=19, spaceBefore=3 * mm)
GRID = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 10),
        ("GRID", (0, 0), (-1, -1), 0.5, "#888888"),
        ("BACKGROUND", (0, 0), (-1, 0), "#eeeeee"),
        ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


class SlipError(DomainError):
    """The orders asked for cannot be printed: too many for one PDF, not all the merchant's
    own, or not paid. Nothing is printed."""

    code = "slip-refused"
    status = 422


@dataclass(frozen=True)
class PickRow:
    sku_code: str
    title: str
    quantity: int


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _item(title: str, label: str) -> str:
    return f"{title} · {label}" if label else title


def _table(header: list[str], rows: list[list[object]], widths: list[float]) -> Table:
    table = Table(
        [header, *([_p(str(cell)) for cell in row] for row in rows)],
        colWidths=widths,
        repeatRows=1,
    )
    table.setStyle(GRID)
    return table


def _pdf(story: list, title: str) -> bytes:
    out = BytesIO()
    document = SimpleDocTemplate(
        out, pagesize=A4, title=title, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm
    )
    document.build(story)
    return out.getvalue()


def _slip(order: Order) -> list:
    """One order's page. Reads only what `selectors.orders_to_print` loaded."""
    placed = timezone.localtime(order.created_at)
    address = " ".join(
        part
        for part in (order.province, order.city, order.district, order.street, order.postcode)
        if part
    )
    story = [
        _p(_("Packing slip"), TITLE),
        _p(_("Shop: %(shop)s") % {"shop": order.merchant.display_name}),
        _p(
            _("Order %(number)s, placed %(date)s")
            % {"number": order.number, "date": f"{placed:%Y-%m-%d}"}
        ),
        Spacer(0, 3 * mm),
        _p(_("Deliver to: %(name)s") % {"name": order.recipient_name}),
        _p(address),
        Spacer(0, 4 * mm),
        _table(
            [_("Item"), _("SKU"), _("Quantity")],
            [
                [_item(line.product_title, line.sku_label), line.sku.code, line.quantity]
                for line in order.lines.all()
            ],
            [110 * mm, 40 * mm, 24 * mm],
        ),
    ]
    claim = getattr(order, "gift_claim", None)
    if claim is not None:
        gift = claim.gift
        story += [
            Spacer(0, 5 * mm),
            _p(_("A gift from %(sender)s") % {"sender": gift.sender_name}, NOTE),
        ]
        if gift.message:
            story.append(_p(_("Message: %(message)s") % {"message": gift.message}))
        if order.merchant.includes_greeting_card:
            story.append(_p(_("Include a greeting card with the sender's name and message."), NOTE))
    return story


def packing_slips_pdf(orders: list[Order]) -> bytes:
    """One page per order, in the order given."""
    story: list = []
    for index, order in enumerate(orders):
        if index:
            story.append(PageBreak())
        story += _slip(order)
    return _pdf(story, _("Packing slips"))


def pick_rows(orders: Iterable[Order]) -> list[PickRow]:
    """Units of each SKU across the orders, by SKU code."""
    totals: dict[str, list] = {}
    for order in orders:
        for line in order.lines.all():
            row = totals.setdefault(line.sku.code, [_item(line.product_title, line.sku_label), 0])
            row[1] += line.quantity
    return [PickRow(code, title, quantity) for code, (title, quantity) in sorted(totals.items())]


def pick_list_pdf(orders: list[Order], *, now: datetime | None = None) -> bytes:
    """The SKUs and total quantities to take off the shelf for these orders."""
    made = timezone.localtime(now or timezone.now())
    rows = pick_rows(orders)
    story = [
        _p(_("Pick list"), TITLE),
        _p(
            _("Orders: %(orders)d, units: %(units)d, printed %(date)s")
            % {
                "orders": len(orders),
                "units": sum(row.quantity for row in rows),
                "date": f"{made:%Y-%m-%d %H:%M}",
            }
        ),
        Spacer(0, 4 * mm),
        _table(
            [_("SKU"), _("Item"), _("Quantity")],
            [[row.sku_code, row.title, row.quantity] for row in rows],
            [40 * mm, 110 * mm, 24 * mm],
        ),
        Spacer(0, 4 * mm),
        _p(_("Orders: %(numbers)s") % {"numbers": ", ".join(o.number for o in orders)}),
    ]
    return _pdf(story, _("Pick list"))
