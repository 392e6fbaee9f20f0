import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gifting import selectors as gifting
from gifting.visitors import claims_of_this_visitor
from shop.core.pages import errors_as_messages

from . import consent, selectors, services
from .models import PrivacyNotice, RightsRequest


def notice(request: HttpRequest, version: int | None = None) -> HttpResponse:
    """The privacy notice, current or an earlier version (consents name theirs)."""
    shown = (
        get_object_or_404(PrivacyNotice, version=version)
        if version is not None
        else consent.notice_current()
    )
    versions = PrivacyNotice.objects.values_list("version", flat=True)
    return render(request, "privacy/notice.html", {"notice": shown, "versions": versions})


@login_required
@require_POST
def export(request: HttpRequest) -> HttpResponse:
    """Everything we hold about the shopper, as one JSON file."""
    data = services.data_export(user=request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="my-data-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def delete_account(request: HttpRequest) -> HttpResponse:
    """Confirm with the password; the account goes now, or once what is open has finished."""
    waiting = selectors.deletion_waiting(user=request.user)
    error = ""
    if request.method == "POST":
        if not request.user.check_password(request.POST.get("password", "")):
            error = _("That is not your password.")
        else:
            with errors_as_messages(request):
                done = services.account_delete(user=request.user)
                if done.status == RightsRequest.Status.DONE:
                    logout(request)
                    messages.success(request, _("Your account was deleted."))
                    return redirect("catalogue:home")
                messages.info(
                    request,
                    _(
                        "Your account will be deleted as soon as your open orders and gifts "
                        "have finished."
                    ),
                )
            return redirect("privacy:delete_account")
    return render(request, "privacy/delete_account.html", {"waiting": waiting, "error": error})


@require_POST
def claim_erase(request: HttpRequest, token: str) -> HttpResponse:
    """A recipient erases their details through the claim link, once the gift is done."""
    gift = gifting.gift_by_token(token)
    if gift is None:
        raise Http404("No such gift")
    with errors_as_messages(request):
        services.recipient_erase(
            claim_id=request.POST.get("claim", ""),
            visitor_claims=claims_of_this_visitor(request, gift),
        )
        messages.success(request, _("Your name, phone and address for this gift were erased."))
    return redirect("gifting:claim", token=token)
