from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import gettext_lazy as _

from shop.core.regions import PROVINCES
from shop.core.validators import normalize_cn_mobile, normalize_cn_postcode

from .models import User


class SignupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    email = forms.EmailField(label=_("Email"), max_length=User._meta.get_field("email").max_length)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this email already exists. Log in instead?")
            )
        return email

    def clean(self) -> dict:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("The two passwords differ."))
        elif p1:
            try:
                password_validation.validate_password(
                    p1, User(email=data.get("email", ""), name=data.get("name", ""))
                )
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name"]
        labels = {"name": _("Name")}


class ProvinceField(forms.ChoiceField):
    """The province list is a constant, so every form shares it: ChoiceField copies its
    choices into each new form, and copying 35 lazy translations was a third of a
    millisecond of each claim page."""

    def __deepcopy__(self, memo: dict) -> "ProvinceField":
        return forms.Field.__deepcopy__(self, memo)


class AddressForm(forms.Form):
    """The delivery address form, shared by the address book, checkout and gift claims."""

    recipient_name = forms.CharField(
        label=_("Name"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    province = ProvinceField(
        label=_("Province"),
        choices=[("", "—"), *PROVINCES],
        widget=forms.Select(attrs={"autocomplete": "address-level1", "data-region": "province"}),
    )
    # Free text, so any place can be typed; site.js offers the region list's choices.
    city = forms.CharField(
        label=_("City"),
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2", "data-region": "city"}),
    )
    district = forms.CharField(
        label=_("District"),
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "address-level3", "data-region": "district"}),
    )
    street = forms.CharField(
        label=_("Address"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "postal-code"}),
    )

    def clean_phone(self) -> str:
        return normalize_cn_mobile(self.cleaned_data["phone"])

    def clean_postcode(self) -> str:
        return normalize_cn_postcode(self.cleaned_data["postcode"])


class SetOrResetPasswordForm(PasswordResetForm):
    """Password reset that also serves accounts made without a password (a new shop's owner,
    an invited colleague), so a lost or expired set-password link never locks them out."""

    def get_users(self, email: str):
        return User.objects.filter(email__iexact=email, is_active=True)
