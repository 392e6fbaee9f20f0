from django import forms
from django.utils.translation import gettext_lazy as _

from shop.catalogue.models import Category
from shop.core.validators import normalize_cn_mobile

from .models import MerchantApplication
from .uploads import sniff_document
from .uscc import normalize_uscc


class DocumentField(forms.FileField):
    """An image or PDF up to 10 MB, checked by its content."""

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload:
            sniff_document(upload)
        return upload


class ApplicationForm(forms.Form):
    legal_name = forms.CharField(label=_("Company legal name"), max_length=200)
    shop_name = forms.CharField(label=_("Shop name"), max_length=100)
    uscc = forms.CharField(
        label=_("Unified Social Credit Code"),
        max_length=30,
        help_text=_("18 characters, on the business licence."),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=50)
    contact_phone = forms.CharField(label=_("Contact mobile"), max_length=20)
    email = forms.EmailField(
        label=_("Email"), max_length=MerchantApplication._meta.get_field("email").max_length
    )
    categories = forms.ModelMultipleChoiceField(
        label=_("Categories you want to sell in"),
        queryset=Category.objects.filter(parent__isnull=False).select_related("parent"),
        widget=forms.CheckboxSelectMultiple,
    )
    licence = DocumentField(
        label=_("Business licence"), help_text=_("A photo or PDF, at most 10 MB."), required=True
    )

    def __init__(
        self,
        *args: object,
        resubmission: bool = False,
        on_file: set[int] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.on_file = on_file or set()
        self.qualification_categories = list(Category.objects.filter(requires_qualification=True))
        for category in self.qualification_categories:
            self.fields[f"qualification_{category.pk}"] = DocumentField(
                label=_("Qualification for %(category)s") % {"category": category.display_name},
                required=False,
                help_text=_("Needed if you sell in this category."),
            )
        if resubmission:  # the documents already on file stay unless replaced
            self.fields["licence"].required = False

    def clean_uscc(self) -> str:
        return normalize_uscc(self.cleaned_data["uscc"])

    def clean_contact_phone(self) -> str:
        return normalize_cn_mobile(self.cleaned_data["contact_phone"])

    def clean(self) -> dict:
        data = super().clean()
        for category in data.get("categories") or []:
            if (
                category.requires_qualification
                and category.pk not in self.on_file
                and not data.get(f"qualification_{category.pk}")
            ):
                self.add_error(
                    f"qualification_{category.pk}",
                    _("Upload the qualification for %(category)s, or untick that category.")
                    % {"category": category.display_name},
                )
        return data

    def qualifications(self) -> dict:
        return {
            category: self.cleaned_data[f"qualification_{category.pk}"]
            for category in self.qualification_categories
            if self.cleaned_data.get(f"qualification_{category.pk}")
        }
