from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest

from .models import Cart, CartLine

SESSION_KEY = "cart_id"


def cart_for_request(request: HttpRequest) -> Cart | None:
    """The member's cart, or the guest cart whose id the session holds."""
    if request.user.is_authenticated:
        return Cart.objects.filter(user=request.user).first()
    cart_id = request.session.get(SESSION_KEY)
    if cart_id is None:
        return None
    return Cart.objects.filter(pk=cart_id, user__isnull=True).first()


@dataclass(frozen=True)
class PricedLine:
    line: CartLine
    unit_price: Decimal
    stock: int
    available: bool

    @property
    def total(self) -> Decimal:
        return self.unit_price * self.line.quantity


def cart_lines_priced(*, cart: Cart | None) -> list[PricedLine]:
    """Lines with today's price and stock, read from the SKUs (one query)."""
    if cart is None:
        return []
    lines = CartLine.objects.filter(cart=cart).select_related(
        "sku__stock", "sku__product__merchant", "sku__product__category"
    )
    priced = []
    for line in lines:
        sku = line.sku
        stock = sku.stock.quantity if hasattr(sku, "stock") else 0
        visible = (
            sku.is_active
            and sku.product.status == sku.product.Status.LISTED
            and sku.product.merchant.status == sku.product.merchant.Status.ACTIVE
        )
        priced.append(PricedLine(line=line, unit_price=sku.price, stock=stock, available=visible))
    return priced
