from django import forms
from django.utils.translation import gettext_lazy as _


class AddToCartForm(forms.Form):
    sku = forms.IntegerField(min_value=1, error_messages={"required": _("Choose a variant first.")})
    quantity = forms.IntegerField(min_value=1, initial=1)


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(min_value=0)
