from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryAddress(models.Model):
    """A delivery address copied onto what ships (an order, a gift claim), in the Chinese
    format; later edits to an address book never move a parcel already on its way."""

    recipient_name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=11)
    province = models.CharField(_("province"), max_length=20)
    city = models.CharField(_("city"), max_length=50)
    district = models.CharField(_("district"), max_length=50)
    street = models.CharField(_("address"), max_length=200)
    postcode = models.CharField(_("postcode"), max_length=6, blank=True)

    class Meta:
        abstract = True
