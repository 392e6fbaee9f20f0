from django import forms
from django.utils.translation import gettext_lazy as _

from shop.accounts.forms import AddressForm

from .models import MAX_UNITS, MESSAGE_MAX_LENGTH, THANKS_MAX_LENGTH


class MessageField(forms.CharField):
    """A textarea's text with browser line breaks (CRLF) counted as one character."""

    def to_python(self, value: object) -> str:
        return super().to_python(value).replace("\r\n", "\n")


class SendGiftForm(forms.Form):
    sku = forms.IntegerField(
        widget=forms.HiddenInput, error_messages={"required": _("Choose a variant.")}
    )
    quantity = forms.IntegerField(
        label=_("How many people"),
        min_value=1,
        max_value=MAX_UNITS,
        initial=1,
        help_text=_(
            "1 for one friend, or up to 100: each person claims one with their phone number."
        ),
    )
    sender_name = forms.CharField(label=_("From"), max_length=30)
    message = MessageField(
        label=_("Message"),
        max_length=MESSAGE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX_LENGTH}),
        help_text=_("Up to 200 characters, shown as plain text."),
    )
    allow_variant_choice = forms.BooleanField(
        label=_("Let them choose the variant (same price or lower)"), required=False
    )


class ClaimForm(AddressForm):
    """The recipient's form: labelled Name, Phone, Province, City, District, Address."""

    sku = forms.IntegerField(required=False, widget=forms.HiddenInput)
    sms_consent = forms.BooleanField(
        label=_("Text me a tracking link now and a message when it ships, at this number."),
        required=False,
    )


class ThanksForm(forms.Form):
    """The recipient's thank-you note, under the claim it thanks for."""

    claim = forms.IntegerField(widget=forms.HiddenInput)
    thanks = MessageField(
        label=_("Your thank-you note"),
        max_length=THANKS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": THANKS_MAX_LENGTH}),
        help_text=_("Up to 100 characters, shown to the sender as plain text."),
    )
