"""Writes for the cart. Prices never come from the browser: only a SKU id and a quantity."""

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils.translation import gettext as _

from shop.catalogue.models import Sku
from shop.catalogue.selectors import product_visible
from shop.core.errors import DomainError

from .models import Cart, CartLine
from .selectors import SESSION_KEY, cart_for_request


class CartError(DomainError):
    """A cart change that cannot be made; the message is for the shopper."""

    code = "cart-refused"


def cart_get_or_create(request: HttpRequest) -> Cart:
    cart = cart_for_request(request)
    if cart is not None:
        return cart
    if request.user.is_authenticated:
        cart, _ = Cart.objects.get_or_create(user=request.user)
    else:
        cart = Cart.objects.create()
        request.session[SESSION_KEY] = cart.pk
    return cart


def _buyable_sku(sku_id: int) -> Sku:
    sku = (
        Sku.objects.filter(pk=sku_id, is_active=True, product__in=product_visible())
        .select_related("stock", "product")
        .first()
    )
    if sku is None:
        raise CartError(_("This item is no longer available."))
    return sku


def _check_quantity(sku: Sku, quantity: int) -> None:
    if quantity < 1:
        raise CartError(_("Choose a quantity of at least 1."))
    limit = settings.CART_MAX_LINE_QUANTITY
    if quantity > limit:
        raise CartError(_("You can buy at most %(limit)d of one item.") % {"limit": limit})
    stock = sku.stock.quantity if hasattr(sku, "stock") else 0
    if stock == 0:
        raise CartError(_("Sorry, this item is sold out."))
    if quantity > stock:
        raise CartError(_("Only %(stock)d left in stock.") % {"stock": stock})


@transaction.atomic
def cart_add(*, cart: Cart, sku_id: int, quantity: int) -> CartLine:
    """Add units of a SKU; the line's total is capped by stock and the per-line maximum."""
    sku = _buyable_sku(sku_id)
    line = CartLine.objects.select_for_update().filter(cart=cart, sku=sku).first()
    _check_quantity(sku, quantity + (line.quantity if line else 0))
    if line is None:
        return CartLine.objects.create(cart=cart, sku=sku, quantity=quantity)
    CartLine.objects.filter(pk=line.pk).update(quantity=F("quantity") + quantity)
    line.refresh_from_db()
    return line


@transaction.atomic
def cart_line_set_quantity(*, cart: Cart, line_id: int, quantity: int) -> None:
    line = CartLine.objects.select_for_update().filter(cart=cart, pk=line_id).first()
    if line is None:
        raise CartError(_("That item is not in your cart."))
    _check_quantity(_buyable_sku(line.sku_id), quantity)
    CartLine.objects.filter(pk=line.pk).update(quantity=quantity)


def cart_line_remove(*, cart: Cart, line_id: int) -> None:
    CartLine.objects.filter(cart=cart, pk=line_id).delete()


@transaction.atomic
def cart_merge(*, guest_cart_id: int | None, user: object) -> None:
    """At login, the guest cart's lines join the account's cart (capped by stock and limit)."""
    if guest_cart_id is None:
        return
    guest = Cart.objects.filter(pk=guest_cart_id, user__isnull=True).first()
    if guest is None:
        return
    cart, _ = Cart.objects.get_or_create(user=user)
    for line in guest.lines.select_related("sku__stock"):
        existing = CartLine.objects.select_for_update().filter(cart=cart, sku=line.sku).first()
        stock = line.sku.stock.quantity if hasattr(line.sku, "stock") else 0
        quantity = min(
            line.quantity + (existing.quantity if existing else 0),
            stock,
            settings.CART_MAX_LINE_QUANTITY,
        )
        if quantity < 1:
            continue
        CartLine.objects.update_or_create(cart=cart, sku=line.sku, defaults={"quantity": quantity})
    guest.delete()
