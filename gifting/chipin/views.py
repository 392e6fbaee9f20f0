"""Chip-in pages: the organiser starts one from a product, friends pay shares through the
share link (the normal pay step), and everyone follows it on its status page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shop.core.pages import errors_as_messages, errors_on_form
from shop.payments.gateway import GatewayError
from shop.payments.views import pay_step

from .. import selectors as gifting
from ..models import ChipIn, Contribution
from . import selectors, services
from .forms import ShareForm, StartChipInForm


@login_required
def start(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Chip in with friends": pick the variant, the name and message; share the link."""
    choices = gifting.gift_choices(pk=pk)
    product, skus = choices.product, choices.skus
    initial = {"sender_name": request.user.get_short_name(), "sku": skus[0].pk}
    form = StartChipInForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with errors_on_form(form):
            chip_in = services.chip_in_create(
                organiser=request.user,
                sku_id=choices.sku_id(data["sku"]),
                message=data["message"],
                sender_name=data["sender_name"],
                language=get_language(),
            )
            return redirect("gifting:chip_in_status", pk=chip_in.pk)
    return render(
        request,
        "gifting/chipin_start.html",
        {
            "product": product,
            "skus": skus,
            "form": form,
            "chosen": str(form["sku"].value() or skus[0].pk),
        },
    )


def share(request: HttpRequest, token: str) -> HttpResponse:
    """The share link: where the chip-in stands, and (signed in) a form to pay a share."""
    chip_in = selectors.chip_in_by_token(token)
    if chip_in is None:
        raise Http404("No such chip-in")
    initial = {"amount": request.GET.get("amount", "")}
    if request.user.is_authenticated:
        initial["display_name"] = request.user.get_short_name()
    form = ShareForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if form.is_valid():
            with errors_on_form(form):
                contribution = services.contribute(
                    chip_in=chip_in,
                    user=request.user,
                    amount=form.cleaned_data["amount"],
                    display_name=form.cleaned_data["display_name"],
                )
                return _pay(request, contribution)
    chip_in.refresh_from_db()
    return render(
        request,
        "gifting/chipin_share.html",
        {"chip_in": chip_in, "view": selectors.chip_in_view(chip_in, request.user), "form": form},
    )


def _pay(request: HttpRequest, contribution: Contribution) -> HttpResponse:
    back = reverse("gifting:chip_in_status", args=[contribution.chip_in_id])
    try:
        return pay_step(request, contribution.payment, request.build_absolute_uri(back))
    except GatewayError:
        messages.error(request, _("The payment service did not answer. Try paying again."))
        return redirect(back)


def _visible(request: HttpRequest, pk: int) -> ChipIn:
    """The organiser's chip-in, or one the visitor has a share in; nobody else's."""
    chip_in = get_object_or_404(ChipIn.objects.select_related("gift__sku__product"), pk=pk)
    if (
        chip_in.organiser_id != request.user.pk
        and not chip_in.contributions.filter(user=request.user).exists()
    ):
        raise Http404("Not yours")
    return chip_in


@login_required
def status(request: HttpRequest, pk: int) -> HttpResponse:
    chip_in = _visible(request, pk)
    is_organiser = chip_in.organiser_id == request.user.pk
    context = {
        "chip_in": chip_in,
        "view": selectors.chip_in_view(chip_in, request.user),
        "is_organiser": is_organiser,
    }
    if is_organiser:
        context["share_url"] = selectors.share_url(chip_in)
    return render(request, "gifting/chipin_status.html", context)


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    chip_in = get_object_or_404(ChipIn, pk=pk, organiser=request.user)
    with errors_as_messages(request):
        services.chip_in_cancel(chip_in=chip_in)
        messages.success(request, _("The chip-in was cancelled; every share is on its way back."))
    return redirect("gifting:chip_in_status", pk=pk)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "gifting/chipin_list.html",
        {
            "organised": selectors.chip_ins_organised(user=request.user),
            "contributions": selectors.contributions_of(user=request.user),
        },
    )
