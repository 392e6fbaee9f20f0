"""A public form never lets through text longer than the column it is saved in.

Too long a value for a column is a database error, a 500, where the visitor should have been
told on the form (a 320-character email on sign-up did exactly that).
"""

import pytest
from django import forms
from django.db import models

from gifting.forms import ClaimForm, SendGiftForm, ThanksForm
from gifting.models import Gift, GiftClaim
from merchants.forms import ApplicationForm
from merchants.models import MerchantApplication
from shop.accounts.forms import AddressForm, SignupForm
from shop.accounts.models import Address, User
from shop.orders.forms import NewAddressForm, RefundRequestForm
from shop.orders.models import Order, RefundRequest

# Fields the form cleans into the stored form (clean_<field>), whose length it thus checks.
NORMALISED = {"phone", "contact_phone", "uscc"}
SAVED_IN = [
    (SignupForm, User),
    (AddressForm, Address),
    (NewAddressForm, Order),
    (ClaimForm, GiftClaim),
    (SendGiftForm, Gift),
    (ThanksForm, GiftClaim),
    (ApplicationForm, MerchantApplication),
    (RefundRequestForm, RefundRequest),
]


def _text_fields(form_class: type[forms.Form], model: type[models.Model]) -> list[tuple]:
    form = form_class()
    columns = {f.name: f for f in model._meta.concrete_fields}
    return [
        (name, field, columns[name])
        for name, field in form.fields.items()
        if isinstance(field, forms.CharField) and name in columns and name not in NORMALISED
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("form_class", "model"), SAVED_IN, ids=lambda c: c.__name__)
def test_every_text_field_is_at_most_as_long_as_its_column(form_class, model) -> None:
    fields = _text_fields(form_class, model)
    assert fields
    too_long = [
        f"{name}: form {field.max_length}, column {column.max_length}"
        for name, field, column in fields
        if column.max_length is not None
        and (field.max_length is None or field.max_length > column.max_length)
    ]
    assert too_long == []
