from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from shop.accounts.forms import AddressForm


class CheckoutForm(forms.Form):
    """Which address (a saved one, or a new one below) and the cart as the shopper saw it."""

    address = forms.CharField(required=False)
    fingerprint = forms.CharField(widget=forms.HiddenInput)


class NewAddressForm(AddressForm):
    save_to_book = forms.BooleanField(
        label=_("Save to my address book"), required=False, initial=True
    )


class RefundRequestForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount (¥)"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)
