from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin as BaseTOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from merchants.admin_scoping import OperatorOnlyAdmin
from shop.core.admin_theme import ThemedTabularInline, titled

from .models import Address, User


class AddressInline(ThemedTabularInline):
    model = Address
    extra = 0


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(OperatorOnlyAdmin, BaseUserAdmin):
    add_form = UserCreationForm
    form = UserEditForm
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["name"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    inlines = [AddressInline]


# Groups and second-factor devices come registered by their apps (listed before this one
# in INSTALLED_APPS, so their admin modules are already loaded): platform models, like
# every model without a merchant tenancy.
admin.site.unregister(Group)
admin.site.unregister(TOTPDevice)


@admin.register(Group)
class GroupAdmin(OperatorOnlyAdmin, BaseGroupAdmin):
    pass


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(OperatorOnlyAdmin, BaseTOTPDeviceAdmin):
    # django-otp's fields have no verbose names: filters titled in words, in both languages.
    list_filter = [
        ("created_at", titled(_("created at"), admin.DateFieldListFilter)),
        ("last_used_at", titled(_("last used at"), admin.DateFieldListFilter)),
        ("confirmed", titled(_("confirmed"), admin.BooleanFieldListFilter)),
    ]
