from django import forms
from django.utils.translation import gettext_lazy as _

from merchants.uploads import PhotoField
from shop.core.admin_theme import ThemedNumberInput, ThemedTextInput

from .models import ProductImage, Sku

SORT_CHOICES = [
    ("", _("Best match")),
    ("newest", _("Newest")),
    ("price_asc", _("Price: low to high")),
    ("price_desc", _("Price: high to low")),
]


class ListingForm(forms.Form):
    """Search, category and sort for the listing. A bad value falls back to the default."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100, strip=True)
    category = forms.SlugField(required=False, max_length=50)
    sort = forms.ChoiceField(label=_("Sort"), choices=SORT_CHOICES, required=False)

    def value(self, name: str) -> str:
        self.is_valid()
        return self.cleaned_data.get(name) or ""


class ProductImageForm(forms.ModelForm):
    image = PhotoField(label=_("image"))

    class Meta:
        model = ProductImage
        fields = ["image", "alt", "position"]


# At or below this many units a SKU's stock is shown as low in the admin.
LOW_STOCK = 5
ATTRIBUTE_PAIRS = 2


def _option_field(label: str, *, max_length: int, example: str) -> forms.CharField:
    """One half of a SKU option pair (its name, or its value)."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        widget=ThemedTextInput(attrs={"placeholder": example}),
    )


class SkuForm(forms.ModelForm):
    """A SKU in the product's admin page: variant attributes as name/value fields, not JSON,
    and the stock level beside it (saved through `services.sku_save`, which owns stock).

    `规格: 标准礼盒` is one pair; a second pair covers e.g. colour and size. Attributes beyond
    the pairs shown (set by an import or the API) are kept as they were.
    """

    attribute_name_0 = _option_field(_("option"), max_length=30, example=_("e.g. 规格"))
    attribute_value_0 = _option_field(_("value"), max_length=50, example=_("e.g. 豪华礼盒"))
    attribute_name_1 = _option_field(_("second option"), max_length=30, example=_("e.g. 规格"))
    attribute_value_1 = _option_field(_("second value"), max_length=50, example=_("e.g. 豪华礼盒"))
    stock = forms.IntegerField(
        label=_("in stock"),
        min_value=0,
        required=False,
        widget=ThemedNumberInput,
        help_text=_("A new SKU starts at 0: set its stock here."),
    )

    class Meta:
        model = Sku
        fields = ["code", "price", "is_active", "position"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        pairs = list((self.instance.attributes or {}).items())[:ATTRIBUTE_PAIRS]
        self._shown = {name for name, _value in pairs}
        for index, (name, value) in enumerate(pairs):
            self.fields[f"attribute_name_{index}"].initial = name
            self.fields[f"attribute_value_{index}"].initial = value
        record = getattr(self.instance, "stock", None) if self.instance.pk else None
        quantity = record.quantity if record else 0
        self.fields["stock"].initial = quantity
        if self.instance.pk and quantity <= LOW_STOCK:
            widget = self.fields["stock"].widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} stock-low".strip()
            self.fields["stock"].help_text = _("Low stock.")

    def clean(self) -> dict:
        cleaned = super().clean()
        attributes = {
            name: value
            for name, value in (self.instance.attributes or {}).items()
            if name not in self._shown
        }
        for index in range(ATTRIBUTE_PAIRS):
            name = (cleaned.get(f"attribute_name_{index}") or "").strip()
            value = (cleaned.get(f"attribute_value_{index}") or "").strip()
            if bool(name) != bool(value):
                self.add_error(
                    f"attribute_value_{index}" if name else f"attribute_name_{index}",
                    _("Give both the option's name and its value, or neither."),
                )
            elif name in attributes:
                self.add_error(f"attribute_name_{index}", _("This option is named twice."))
            elif name:
                attributes[name] = value
        self.instance.attributes = attributes
        return cleaned
