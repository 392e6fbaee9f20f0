from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from merchants.uploads import sniff_photo, stored_name

from .models import ProductImage

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


class PhotoField(forms.FileField):
    """A product photo: JPEG, PNG or WebP by content, at most 10 MB and UPLOAD_MAX_PIXELS
    pixels (refused from the header, before decoding), named by what it is."""

    widget = forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data: object, initial: object = None) -> object:
        upload = super().clean(data, initial)
        if isinstance(upload, UploadedFile):  # a new upload, not the photo already stored
            upload.name = stored_name(upload.name, sniff_photo(upload))
        return upload


class ProductImageForm(forms.ModelForm):
    image = PhotoField(label=_("image"))

    class Meta:
        model = ProductImage
        fields = ["image", "alt", "position"]
