from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shop.core.pages import errors_as_messages
from shop.core.redirects import redirect_to_next

from . import selectors, services
from .forms import AddToCartForm, QuantityForm


def _back(request: HttpRequest, fallback: str = "cart:detail") -> HttpResponse:
    return redirect_to_next(request, request.POST.get("next"), fallback)


def detail(request: HttpRequest) -> HttpResponse:
    lines = selectors.cart_lines_priced(cart=selectors.cart_for_request(request))
    total = sum((p.total for p in lines if p.available), start=0)
    return render(request, "cart/detail.html", {"lines": lines, "total": total})


@require_POST
def add(request: HttpRequest) -> HttpResponse:
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return _back(request)
    with errors_as_messages(request):
        services.cart_add(
            cart=services.cart_get_or_create(request),
            sku_id=form.cleaned_data["sku"],
            quantity=form.cleaned_data["quantity"],
        )
        messages.success(request, _("Added to your cart."), extra_tags="cart")
        response = _back(request)
        if response.url == request.POST.get("next"):
            response["Location"] += f"?sku={form.cleaned_data['sku']}"
        return response
    return _back(request)


@require_POST
def update(request: HttpRequest, line_id: int) -> HttpResponse:
    cart = selectors.cart_for_request(request)
    form = QuantityForm(request.POST)
    if cart is None or not form.is_valid():
        messages.error(request, _("Enter a quantity of 0 or more."))
        return redirect("cart:detail")
    with errors_as_messages(request):
        if form.cleaned_data["quantity"] == 0:
            services.cart_line_remove(cart=cart, line_id=line_id)
        else:
            services.cart_line_set_quantity(
                cart=cart, line_id=line_id, quantity=form.cleaned_data["quantity"]
            )
    return redirect("cart:detail")


@require_POST
def remove(request: HttpRequest, line_id: int) -> HttpResponse:
    cart = selectors.cart_for_request(request)
    if cart is not None:
        services.cart_line_remove(cart=cart, line_id=line_id)
        messages.success(request, _("Removed from your cart."))
    return redirect("cart:detail")
