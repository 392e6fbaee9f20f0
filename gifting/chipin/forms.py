from django import forms
from django.utils.translation import gettext_lazy as _

from ..forms import MessageField
from ..models import DISPLAY_NAME_MAX_LENGTH, MESSAGE_MAX_LENGTH


class StartChipInForm(forms.Form):
    sku = forms.IntegerField(
        widget=forms.HiddenInput, error_messages={"required": _("Choose a variant.")}
    )
    sender_name = forms.CharField(label=_("From"), max_length=30)
    message = MessageField(
        label=_("Message"),
        max_length=MESSAGE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX_LENGTH}),
        help_text=_("Up to 200 characters, shown as plain text."),
    )


class ShareForm(forms.Form):
    """A share in yuan; the service checks it against what is left (a text field, so the
    service's message, not the browser's, explains a refusal)."""

    amount = forms.CharField(label=_("Your share (yuan)"), max_length=20)
    display_name = forms.CharField(
        label=_("Name the others see"),
        max_length=DISPLAY_NAME_MAX_LENGTH,
        help_text=_("The others see your name, never your amount."),
    )
