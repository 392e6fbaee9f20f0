"""The admin's sidebar, by task rather than by app: what a merchant does, in the order they do it.

Each entry names an admin changelist; an entry shows only to those whose admin class lets
them view it (merchant staff never see the operators' models), and a group with no entry
left is dropped. Operators also get the theme's "all applications" list for the rest.
"""

from dataclasses import dataclass

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .selectors import is_operator, merchant_for_user


@dataclass(frozen=True)
class Entry:
    title: str
    icon: str
    model: str  # "app_label.model_name", as registered with the admin
    query: str = ""


@dataclass(frozen=True)
class Page:
    """A back-office page that is not a changelist (`merchants.backoffice`)."""

    title: str
    icon: str
    url_name: str
    permission: str
    shop_staff_only: bool = False  # imports write into the user's own shop: operators have none


GROUPS: list[tuple[str, list[Entry | Page]]] = [
    (
        _("Orders to ship"),
        [
            Page(
                _("Orders to ship"),
                "local_shipping",
                "backoffice:orders_to_ship",
                "orders.view_order",
            ),
            Entry(_("All orders"), "receipt_long", "orders.order"),
            Page(
                _("Import tracking numbers"),
                "upload_file",
                "backoffice:tracking_import",
                "orders.change_order",
                shop_staff_only=True,
            ),
            Entry(_("Recipients' change requests"), "edit_note", "orders.changerequest"),
        ],
    ),
    (
        _("Products"),
        [
            Entry(_("Products"), "inventory_2", "catalogue.product"),
            Page(
                _("Import and export products"),
                "sync_alt",
                "backoffice:catalogue_import",
                "catalogue.change_sku",
                shop_staff_only=True,
            ),
            Entry(_("Categories"), "category", "catalogue.category"),
            Entry(_("Search synonyms"), "manage_search", "catalogue.searchsynonym"),
        ],
    ),
    (_("Stock"), [Entry(_("Stock"), "warehouse", "catalogue.stockrecord")]),
    (
        _("Gifts"),
        [
            Entry(_("Gifts"), "redeem", "gifting.gift"),
            Entry(_("Chip-ins"), "groups", "gifting.chipin"),
            Entry(_("Gift occasions"), "celebration", "discovery.occasion"),
        ],
    ),
    (
        _("Money"),
        [
            Entry(_("Refund requests"), "currency_exchange", "orders.refundrequest"),
            Entry(_("Payments"), "payments", "payments.payment"),
            Entry(_("Refunds"), "undo", "payments.refund"),
        ],
    ),
    (
        _("Shop settings"),
        [
            Entry(_("Shop"), "storefront", "merchants.merchant"),
            Entry(_("Staff"), "badge", "merchants.merchantstaff"),
            Entry(_("Shop applications"), "how_to_reg", "merchants.merchantapplication"),
        ],
    ),
    (
        _("Platform"),
        [
            Entry(_("Jobs needing attention"), "report", "core.jobitem"),
            Entry(_("Webhook deliveries"), "webhook", "partners.webhookdelivery"),
            Entry(_("Partners"), "handshake", "partners.partner"),
            Entry(_("Users"), "person", "accounts.user"),
        ],
    ),
]


def _registered() -> dict[str, admin.ModelAdmin]:
    return {
        model._meta.label_lower: model_admin for model, model_admin in admin.site._registry.items()
    }


def navigation(request: HttpRequest) -> list[dict]:
    """UNFOLD["SIDEBAR"]["navigation"]: the groups above, as far as this user may see them."""
    registry = _registered()
    groups = [
        {
            "title": _("Back office"),
            "items": [
                {"title": _("Dashboard"), "icon": "dashboard", "link": reverse("admin:index")}
            ],
        }
    ]
    for title, entries in GROUPS:
        items = []
        for entry in entries:
            if isinstance(entry, Page):
                if request.user.has_perm(entry.permission) and not (
                    entry.shop_staff_only and merchant_for_user(request.user) is None
                ):
                    link = reverse(entry.url_name)
                    items.append({"title": entry.title, "icon": entry.icon, "link": link})
                continue
            model_admin = registry.get(entry.model)
            if model_admin is None or not model_admin.has_view_or_change_permission(request):
                continue
            app_label, model_name = entry.model.split(".")
            link = reverse(f"admin:{app_label}_{model_name}_changelist") + entry.query
            items.append({"title": entry.title, "icon": entry.icon, "link": link})
        if items:
            groups.append({"title": title, "separator": True, "items": items})
    return groups


def show_all_applications(request: HttpRequest) -> bool:
    """Operators reach every other model through the theme's full list; merchants need none."""
    return is_operator(request.user)
