from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gifting.views import changes_for_claim
from shop.accounts import selectors as accounts
from shop.accounts import services as address_book
from shop.cart.selectors import cart_for_request, cart_lines_priced
from shop.core.pages import errors_as_messages
from shop.payments.gateway import GatewayError
from shop.payments.models import Payment
from shop.payments.views import pay_step
from shop.payments.waiting import payment_wait

from . import selectors, services
from .forms import CheckoutForm, NewAddressForm, RefundRequestForm
from .state import REFUNDABLE


def _start_payment(request: HttpRequest, payment: Payment) -> HttpResponse:
    """Send the shopper to the provider; if it does not answer, the orders wait to be paid."""
    return_url = request.build_absolute_uri(reverse("orders:payment", args=[payment.reference]))
    try:
        return pay_step(request, payment, return_url)
    except GatewayError:
        messages.error(
            request,
            _("The payment service did not answer. Your order is saved: try paying again."),
        )
        return redirect("orders:payment", reference=payment.reference)


@login_required
def checkout(request: HttpRequest) -> HttpResponse:
    cart = cart_for_request(request)
    lines = cart_lines_priced(cart=cart)
    if not lines:
        messages.info(request, _("Your cart is empty."))
        return redirect("cart:detail")
    addresses = list(accounts.address_list(user=request.user))
    form = CheckoutForm(request.POST or None)
    new_address = NewAddressForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        address = _chosen_address(request, form.cleaned_data["address"], new_address, addresses)
        if address is not None:
            with errors_as_messages(request):
                payment = services.checkout_place_orders(
                    user=request.user,
                    cart=cart,
                    address=address,
                    fingerprint=form.cleaned_data["fingerprint"],
                    language=get_language(),
                )
                return _start_payment(request, payment)
            return redirect("orders:checkout")
    groups = services.group_by_merchant(lines)
    chosen = request.POST.get("address") or next(
        (str(a.pk) for a in addresses if a.is_default), "new"
    )
    return render(
        request,
        "orders/checkout.html",
        {
            "groups": groups,
            "total": sum(g.total for g in groups),
            "addresses": addresses,
            "chosen": chosen,
            "new_address": new_address,
            "fingerprint": services.cart_fingerprint(lines),
            "unavailable": [p for p in lines if not p.available],
        },
    )


def _chosen_address(
    request: HttpRequest, choice: str, new_address: NewAddressForm, addresses: list
) -> dict | None:
    if choice == "new" or not addresses:
        if not new_address.is_valid():
            messages.error(request, _("Please correct the delivery address."))
            return None
        data = new_address.cleaned_data
        if data.get("save_to_book"):
            address_book.address_save(user=request.user, data=data)
        return data
    match = next((a for a in addresses if str(a.pk) == choice), None)
    if match is None:
        messages.error(request, _("Choose a delivery address."))
        return None
    return {field: getattr(match, field) for field in services.ADDRESS_FIELDS}


@login_required
def payment(request: HttpRequest, reference: str) -> HttpResponse:
    """Where the provider sends the shopper back. It shows, it never decides, the status."""
    orders = selectors.orders_for_payment(user=request.user, reference=reference)
    if not orders:
        raise Http404("No such payment")
    context = {"orders": orders, "payment": orders[0].payment, "wait": payment_wait(request)}
    return render(request, "orders/payment.html", context)


@login_required
@require_POST
def payment_retry(request: HttpRequest, reference: str) -> HttpResponse:
    orders = selectors.orders_for_payment(user=request.user, reference=reference)
    if not orders:
        raise Http404("No such payment")
    with errors_as_messages(request):
        retry = services.orders_payment_retry(payment=orders[0].payment)
        if retry.status != Payment.Status.PENDING:
            return redirect("orders:payment", reference=retry.reference)
        return _start_payment(request, retry)
    return redirect("orders:list")


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/list.html", {"orders": selectors.order_list(user=request.user)})


@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = selectors.order_get(user=request.user, number=number)
    gift_changes = None
    if order.is_gift:  # the recipient's own gift order: changes before shipping
        claim = order.gift_claim
        posted = claim if request.method == "POST" else None
        gift_changes = changes_for_claim(request, claim, posted=posted)
        if isinstance(gift_changes, HttpResponse):
            return gift_changes
    form = RefundRequestForm(initial={"amount": order.refundable_amount})
    can_request_refund = (
        not order.is_gift and order.status in REFUNDABLE and order.refundable_amount > 0
    )
    return render(
        request,
        "orders/detail.html",
        {
            "order": order,
            "refund_form": form,
            "can_request_refund": can_request_refund,
            "changes": gift_changes,
        },
    )


@login_required
@require_POST
def order_cancel(request: HttpRequest, number: str) -> HttpResponse:
    order = selectors.order_get(user=request.user, number=number)
    with errors_as_messages(request):
        services.order_cancel(order=order, note=gettext_noop("Cancelled by the shopper"))
        messages.success(request, _("Your order was cancelled."))
    return redirect("orders:detail", number=number)


@login_required
@require_POST
def refund_request(request: HttpRequest, number: str) -> HttpResponse:
    order = selectors.order_get(user=request.user, number=number)
    if order.is_gift:  # the sender paid: a recipient's page offers no refund to ask for
        messages.error(
            request, _("This order is a gift: its money can go back only to the sender.")
        )
        return redirect("orders:detail", number=number)
    form = RefundRequestForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("orders:detail", number=number)
    with errors_as_messages(request):
        services.refund_request_create(
            order=order, amount=form.cleaned_data["amount"], reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("Your refund request was sent to the shop."))
    return redirect("orders:detail", number=number)
