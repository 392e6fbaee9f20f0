from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from shop.catalogue.models import Category

from .models import Occasion
from .selectors import Budget

BUDGETS: dict[str, Budget] = {
    "under-50": Budget(low=None, high=Decimal("50")),
    "50-100": Budget(low=Decimal("50"), high=Decimal("100")),
    "100-300": Budget(low=Decimal("100"), high=Decimal("300")),
    "300-1000": Budget(low=Decimal("300"), high=Decimal("1000")),
    "over-1000": Budget(low=Decimal("1000"), high=None),
}
BUDGET_CHOICES = [
    ("", _("Any budget")),
    ("under-50", _("Up to ¥50")),
    ("50-100", _("¥50–100")),
    ("100-300", _("¥100–300")),
    ("300-1000", _("¥300–1,000")),
    ("over-1000", _("¥1,000 and more")),
]


class FinderForm(forms.Form):
    """The gift finder's occasion, budget and category. A bad value falls back to "any"."""

    occasion = forms.ChoiceField(label=_("Occasion"), required=False)
    budget = forms.ChoiceField(label=_("Budget"), choices=BUDGET_CHOICES, required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)

    def __init__(
        self, data: object, *, occasions: list[Occasion], categories: list[Category]
    ) -> None:
        super().__init__(data)
        self.occasions = {o.slug: o for o in occasions}
        self.categories = {c.slug: c for c in categories}
        self.fields["occasion"].choices = [("", _("Any occasion"))] + [
            (o.slug, o.display_name) for o in occasions
        ]
        self.fields["category"].choices = [("", _("Any category"))] + [
            (c.slug, c.display_name) for c in categories
        ]

    def criteria(self) -> dict:
        """Keyword arguments for `selectors.gift_finder`."""
        self.is_valid()
        data = self.cleaned_data
        return {
            "occasion": self.occasions.get(data.get("occasion", "")),
            "budget": BUDGETS.get(data.get("budget", "")),
            "category": self.categories.get(data.get("category", "")),
        }
