from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_POST

from shop.cart.selectors import SESSION_KEY as CART_SESSION_KEY
from shop.cart.services import cart_merge
from shop.core.redirects import redirect_to_next

from . import selectors, services
from .forms import AddressForm, LoginForm, ProfileForm, SignupForm
from .services import ADDRESS_FIELDS


class LoginView(auth_views.LoginView):
    """Log in with email; a guest's cart joins the account's cart."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: LoginForm) -> HttpResponse:
        guest_cart_id = self.request.session.get(CART_SESSION_KEY)
        response = super().form_valid(form)
        cart_merge(guest_cart_id=guest_cart_id, user=form.get_user())
        return response


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.shopper_signup(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            name=form.cleaned_data["name"],
            language=get_language(),
        )
        guest_cart_id = request.session.get(CART_SESSION_KEY)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        cart_merge(guest_cart_id=guest_cart_id, user=user)
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect_to_next(request, request.GET.get("next"), "accounts:profile")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile was saved."))
        return redirect("accounts:profile")
    addresses = selectors.address_list(user=request.user)
    return render(request, "accounts/profile.html", {"form": form, "addresses": addresses})


@login_required
def address_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    address = selectors.address_get(user=request.user, pk=pk) if pk else None
    initial = {f: getattr(address, f) for f in ADDRESS_FIELDS} if address else None
    form = AddressForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.address_save(
            user=request.user,
            data=form.cleaned_data,
            address=address,
            make_default=bool(request.POST.get("make_default")),
        )
        messages.success(request, _("Address saved."))
        return redirect_to_next(request, request.GET.get("next"), "accounts:profile")
    return render(request, "accounts/address_form.html", {"form": form, "address": address})


@login_required
@require_POST
def address_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.address_delete(address=selectors.address_get(user=request.user, pk=pk))
    messages.success(request, _("Address deleted."))
    return redirect("accounts:profile")


@login_required
@require_POST
def address_make_default(request: HttpRequest, pk: int) -> HttpResponse:
    services.address_set_default(address=selectors.address_get(user=request.user, pk=pk))
    messages.success(request, _("Default address changed."))
    return redirect("accounts:profile")


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch; a signed-in shopper's emails follow it too."""
    response = i18n.set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        services.user_set_language(user=request.user, language=request.POST.get("language", ""))
    return response
