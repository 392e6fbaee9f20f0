"""Orders in the admin: operators see all, merchant staff their own shop's.

Personal data is minimised: lists show masked names and phones; the full address is on
the order's shipping page only, and every opening of that page is logged.
"""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from gifting import changes
from merchants import selectors as merchants
from merchants import services as merchant_services
from merchants import slips
from merchants.admin_scoping import MerchantScopedAdmin
from merchants.models import AddressAccessLog
from merchants.selectors import is_operator
from shop.core.admin import ReadOnlyInline
from shop.core.admin_theme import titled
from shop.core.exports import CsvWriter
from shop.core.money import format_cny
from shop.core.pages import errors_as_messages
from shop.core.privacy import mask_name, mask_phone

from . import services
from .models import ChangeRequest, Order, OrderEvent, OrderLine, RefundRequest


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = ["product_title", "sku_label", "unit_price", "quantity", "commission_rate"]


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["created_at", "kind", "note"]


class ShipmentForm(forms.Form):
    carrier = forms.CharField(label=_("carrier"), max_length=50)
    tracking_number = forms.CharField(label=_("tracking number"), max_length=50)


@admin.register(Order)
class OrderAdmin(MerchantScopedAdmin):
    """Status and money change only through the services; the admin shows them."""

    list_display = [
        "number",
        "merchant",
        "masked_recipient",
        "masked_phone",
        "status",
        "is_gift",
        "total",
        "commission",
        "created_at",
        "shipping_link",
    ]
    list_filter = [
        "status",
        "merchant",
        ("gift_claim", titled(_("gift order"), admin.EmptyFieldListFilter)),
    ]
    list_select_related = ["merchant", "gift_claim"]
    search_fields = ["number", "tracking_number"]
    date_hierarchy = "created_at"
    fields = [
        "number",
        "merchant",
        "status",
        "total",
        "refunded_amount",
        "commission",
        "net",
        "masked_recipient",
        "masked_phone",
        "city",
        "carrier",
        "tracking_number",
        "created_at",
        "paid_at",
        "shipped_at",
        "delivered_at",
        "shipping_link",
    ]
    readonly_fields = fields
    inlines = [OrderLineInline, OrderEventInline]
    actions = [
        "ship_selected",
        "mark_delivered",
        "print_packing_slips",
        "print_pick_list",
        "export_csv",
        "cancel_unpaid",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_list_filter(self, request: HttpRequest) -> list:
        return (
            self.list_filter
            if is_operator(request.user)
            else [f for f in self.list_filter if f != "merchant"]
        )

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if not is_operator(request.user):
            actions.pop("cancel_unpaid", None)
        return actions

    @admin.display(description=_("recipient"))
    def masked_recipient(self, order: Order) -> str:
        return mask_name(order.recipient_name)

    @admin.display(description=_("phone"))
    def masked_phone(self, order: Order) -> str:
        return mask_phone(order.phone)

    @admin.display(description=_("gift"), boolean=True)
    def is_gift(self, order: Order) -> bool:
        return hasattr(order, "gift_claim")

    @admin.display(description=_("merchant's net"))
    def net(self, order: Order) -> str:
        return format_cny(order.merchant_net)

    @admin.display(description=_("shipping"))
    def shipping_link(self, order: Order) -> str:
        url = reverse("admin:orders_order_shipping", args=[order.pk])
        return format_html('<a href="{}">{}</a>', url, _("Address and shipping"))

    def get_urls(self) -> list:
        return [
            path(
                "<int:pk>/shipping/",
                self.admin_site.admin_view(self.shipping_view),
                name="orders_order_shipping",
            ),
            path(
                "<int:pk>/packing-slip/",
                self.admin_site.admin_view(self.packing_slip_view),
                name="orders_order_packing_slip",
            ),
            *super().get_urls(),
        ]

    def shipping_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The one page with the full address; opening it is recorded for operators."""
        if not self.has_view_permission(request):
            return redirect("admin:index")
        order = get_object_or_404(self.get_queryset(request), pk=pk)
        form = ShipmentForm(request.POST or None)
        if request.method == "POST" and self.has_change_permission(request, order):
            try:
                if "_delivered" in request.POST:
                    services.order_mark_delivered(order=order)
                    self.message_user(request, _("Marked delivered."))
                    return redirect(request.path)
                if form.is_valid():
                    services.order_ship(order=order, **form.cleaned_data)
                    self.message_user(request, _("Shipped."))
                    return redirect(request.path)
            except services.OrderError as error:
                self.message_user(request, str(error), messages.ERROR)
                return redirect(request.path)
        AddressAccessLog.objects.create(user=request.user, order=order)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Order %(number)s: address and shipping") % {"number": order.number},
            "order": order,
            "form": form,
            "opts": self.model._meta,
        }
        return render(request, "admin/orders/order/shipping.html", context)

    def packing_slip_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """One order's slip, the order page's button; another shop's order is a 404."""
        if not self.has_view_permission(request):
            return redirect("admin:index")
        order = get_object_or_404(self.get_queryset(request), pk=pk)
        with errors_as_messages(request):
            pdf = merchant_services.packing_slips_print(user=request.user, order_ids=[order.pk])
            return _pdf_response(pdf, f"packing-slip-{order.number}.pdf")
        return redirect("admin:orders_order_change", order.pk)

    @admin.action(description=_("Print packing slips (PDF)"))
    def print_packing_slips(
        self, request: HttpRequest, queryset: QuerySet[Order]
    ) -> HttpResponse | None:
        return _print(request, queryset, merchant_services.packing_slips_print, "packing-slips.pdf")

    @admin.action(description=_("Print a pick list (PDF)"))
    def print_pick_list(
        self, request: HttpRequest, queryset: QuerySet[Order]
    ) -> HttpResponse | None:
        return _print(request, queryset, merchants.pick_list_print, "pick-list.pdf")

    @admin.action(description=_("Mark shipped (carrier and tracking number per order)"))
    def ship_selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse | None:
        orders = list(
            queryset.filter(
                status__in=[Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED],
                shipped_at__isnull=True,
            )
        )
        if "apply" in request.POST:
            done = 0
            for order in orders:
                carrier = request.POST.get(f"carrier-{order.pk}", "")
                tracking = request.POST.get(f"tracking-{order.pk}", "")
                if not tracking:
                    continue
                try:
                    services.order_ship(order=order, carrier=carrier, tracking_number=tracking)
                    done += 1
                except services.OrderError as error:
                    self.message_user(request, f"{order.number}: {error}", messages.WARNING)
            self.message_user(request, _("%(count)d orders shipped.") % {"count": done})
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Mark shipped"),
            "orders": orders,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return render(request, "admin/orders/order/ship_selected.html", context)

    @admin.action(description=_("Mark delivered"))
    def mark_delivered(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done = 0
        for order in queryset:
            try:
                services.order_mark_delivered(order=order)
                done += 1
            except services.OrderError:
                continue
        self.message_user(request, _("%(count)d orders marked delivered.") % {"count": done})

    @admin.action(description=_("Export as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Order]) -> HttpResponse:
        """Money and status per order; names and phones masked, no addresses; no cell is
        ever a formula (`shop.core.exports`)."""
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="orders.csv"'
        response.write("\ufeff")  # so spreadsheet programs read the UTF-8 Chinese text
        writer = CsvWriter(response)
        writer.writerow(
            [
                "number",
                "merchant",
                "status",
                "placed_at",
                "total",
                "refunded",
                "commission",
                "net",
                "recipient",
                "phone",
                "city",
                "carrier",
                "tracking_number",
            ]
        )
        for order in queryset.select_related("merchant").order_by("created_at"):
            writer.writerow(
                [
                    order.number,
                    order.merchant.name,
                    order.status,
                    order.created_at.isoformat(),
                    order.total,
                    order.refunded_amount,
                    order.commission,
                    order.merchant_net,
                    mask_name(order.recipient_name),
                    mask_phone(order.phone),
                    order.city,
                    order.carrier,
                    order.tracking_number,
                ]
            )
        return response

    @admin.action(description=_("Cancel the selected unpaid orders"))
    def cancel_unpaid(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        done = 0
        for order in queryset:
            try:
                services.order_cancel(order=order, note=gettext_noop("Cancelled by an operator"))
                done += 1
            except services.OrderError:
                continue
        self.message_user(request, _("%(count)d orders cancelled.") % {"count": done})


def _chosen_ids(request: HttpRequest, queryset: QuerySet[Order]) -> list[int]:
    """The ids the merchant ticked, as posted: the action's queryset is already scoped, so a
    foreign id would vanish from it unseen; the selector refuses it instead. "Select all"
    means the (scoped) changelist, read one past the PDF's bound so that bound can refuse."""
    if request.POST.get("select_across") == "1":
        return list(queryset.values_list("pk", flat=True)[: slips.MAX_ORDERS_PER_PDF + 1])
    try:
        return [int(pk) for pk in request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)]
    except ValueError:
        raise slips.SlipError(_("The chosen orders are not valid order ids.")) from None


def _print(
    request: HttpRequest, queryset: QuerySet[Order], make: Callable[..., bytes], filename: str
) -> HttpResponse | None:
    """A print action: the PDF of the ticked orders, or the refusal as a message."""
    with errors_as_messages(request):
        pdf = make(user=request.user, order_ids=_chosen_ids(request, queryset))
        return _pdf_response(pdf, filename)
    return None


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.register(RefundRequest)
class RefundRequestAdmin(MerchantScopedAdmin):
    list_display = ["order", "amount", "reason", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["order"]
    search_fields = ["order__number", "reason"]
    readonly_fields = ["order", "amount", "reason", "status", "created_at", "decided_at"]
    fields = [*readonly_fields, "decision_note"]
    actions = ["approve", "refuse"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Approve and refund"))
    def approve(self, request: HttpRequest, queryset: QuerySet[RefundRequest]) -> None:
        for refund_request in queryset.select_related("order__payment"):
            try:
                services.refund_request_approve(request=refund_request)
            except services.OrderError as error:
                self.message_user(request, f"{refund_request.order}: {error}", messages.WARNING)

    @admin.action(description=_("Refuse"))
    def refuse(self, request: HttpRequest, queryset: QuerySet[RefundRequest]) -> None:
        for refund_request in queryset:
            try:
                services.refund_request_refuse(
                    request=refund_request,
                    note=refund_request.decision_note or gettext_noop("Refused"),
                )
            except services.OrderError as error:
                self.message_user(request, f"{refund_request.order}: {error}", messages.WARNING)


def _masked_address(address: dict | None) -> str:
    """An address as lists show one: the name and phone masked, no street."""
    if not address:
        return ""
    return " ".join(
        [
            mask_name(address.get("recipient_name", "")),
            mask_phone(address.get("phone", "")),
            address.get("province", ""),
            address.get("city", ""),
        ]
    )


@admin.register(ChangeRequest)
class ChangeRequestAdmin(MerchantScopedAdmin):
    """A gift recipient's change before shipping: the merchant approves or rejects it
    before `due_at` (after it, the clock does). Addresses are masked here; the full new
    address is on the order's shipping page once approved."""

    list_display = [
        "order",
        "kind",
        "status",
        "old_sku",
        "new_sku",
        "refund_amount",
        "old_masked",
        "new_masked",
        "created_at",
        "due_at",
        "decided_at",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["order", "old_sku", "new_sku"]
    search_fields = ["order__number"]
    readonly_fields = [*list_display, "by_timeout"]
    fields = [*readonly_fields, "decision_note"]
    actions = ["approve", "reject"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("address before"))
    def old_masked(self, change: ChangeRequest) -> str:
        return _masked_address(change.old_address)

    @admin.display(description=_("address asked for"))
    def new_masked(self, change: ChangeRequest) -> str:
        return _masked_address(change.new_address)

    def _decide(self, request: HttpRequest, queryset: QuerySet, decide: object) -> None:
        done = 0
        for change in queryset:
            try:
                decide(request=change, note=change.decision_note)
                done += 1
            except changes.ChangeError as error:
                self.message_user(request, f"{change.order}: {error}", messages.WARNING)
        self.message_user(request, _("%(count)d changes answered.") % {"count": done})

    @admin.action(description=_("Approve the change"))
    def approve(self, request: HttpRequest, queryset: QuerySet[ChangeRequest]) -> None:
        self._decide(request, queryset, changes.change_approve)

    @admin.action(description=_("Reject the change"))
    def reject(self, request: HttpRequest, queryset: QuerySet[ChangeRequest]) -> None:
        self._decide(request, queryset, changes.change_reject)
