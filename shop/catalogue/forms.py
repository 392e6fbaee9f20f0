from django import forms
from django.utils.translation import gettext_lazy as _

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
