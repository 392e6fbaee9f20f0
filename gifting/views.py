import logging
from urllib.parse import urljoin

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shop.core import throttle
from shop.core.client import client_address
from shop.core.pages import errors_as_messages, errors_on_form
from shop.discovery import selectors as discovery
from shop.payments.gateway import GatewayError
from shop.payments.views import pay_step
from shop.payments.waiting import payment_wait

from . import changes, selectors, services
from .chipin import selectors as chipin_selectors
from .forms import AddressChangeForm, ClaimForm, SendGiftForm, ThanksForm, VariantChangeForm
from .models import Gift
from .services import Recipient
from .visitors import claims_of_this_visitor, remember_claim

logger = logging.getLogger(__name__)


@login_required
def send(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Send as a gift": pick the variant, how many people, a message, then pay."""
    choices = selectors.gift_choices(pk=pk)
    product, skus = choices.product, choices.skus
    initial = {"sender_name": request.user.get_short_name(), "sku": skus[0].pk}
    form = SendGiftForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with errors_on_form(form):
            gift = services.gift_create(
                sender=request.user,
                sku_id=choices.sku_id(data["sku"]),
                quantity=data["quantity"],
                message=data["message"],
                sender_name=data["sender_name"],
                allow_variant_choice=data["allow_variant_choice"],
                language=get_language(),
            )
            return _start_payment(request, gift)
    chosen = str(form["sku"].value() or skus[0].pk)
    return render(
        request,
        "gifting/send.html",
        {
            "product": product,
            "skus": skus,
            "form": form,
            "chosen": chosen,
            "accept_window": accept_window_text(),
            "also_given": discovery.also_given(product=product),
        },
    )


def accept_window_text() -> str:
    """GIFT_ACCEPT_WINDOW_SECONDS as people say it: "24 hours", "90 minutes"."""
    seconds = settings.GIFT_ACCEPT_WINDOW_SECONDS
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    minutes = max(1, seconds // 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def _start_payment(request: HttpRequest, gift: Gift) -> HttpResponse:
    return_url = request.build_absolute_uri(reverse("gifting:sent_detail", args=[gift.pk]))
    try:
        return pay_step(request, gift.payment, return_url)
    except GatewayError:
        messages.error(request, _("The payment service did not answer. Try paying again."))
        return redirect("gifting:sent_detail", pk=gift.pk)


@login_required
def sent_list(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = [
        (gift, selectors.gift_display_status(gift, now))
        for gift in selectors.gifts_sent(user=request.user)
    ]
    return render(request, "gifting/sent_list.html", {"rows": rows})


@login_required
def sent_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The sender's page: share link and QR code while live, then the gift's timeline.

    It is also where the provider sends the sender back after paying: until the payment
    notification arrives it refreshes itself (for a bounded time).
    """
    gift = selectors.gift_for_sender(user=request.user, pk=pk)
    display = selectors.gift_display_status(gift, timezone.now())
    context = {
        "gift": gift,
        "display": display,
        "claims": selectors.claims_for_sender(gift),
        "wait": payment_wait(request),
    }
    if display.is_live:
        link = selectors.claim_url(gift)
        qr = segno.make(link, error="m").svg_inline(scale=4, dark="#1f2328", light="#ffffff")
        context.update(claim_url=link, qr_svg=mark_safe(qr))
    return render(request, "gifting/sent_detail.html", context)


@login_required
@require_POST
def pay(request: HttpRequest, pk: int) -> HttpResponse:
    gift = selectors.gift_for_sender(user=request.user, pk=pk)
    if gift.status != Gift.Status.PENDING_PAYMENT:
        return redirect("gifting:sent_detail", pk=pk)
    with errors_as_messages(request):
        services.gift_payment_retry(gift=gift)
        gift.refresh_from_db()
        return _start_payment(request, gift)
    return redirect("gifting:sent_detail", pk=pk)


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    gift = selectors.gift_for_sender(user=request.user, pk=pk)
    with errors_as_messages(request):
        services.gift_cancel(gift=gift)
        messages.success(request, _("The gift was cancelled; the money is on its way back."))
    return redirect("gifting:sent_detail", pk=pk)


@login_required
def received(request: HttpRequest) -> HttpResponse:
    claims = selectors.gifts_received(user=request.user)
    return render(request, "gifting/received.html", {"claims": claims})


def claim(request: HttpRequest, token: str) -> HttpResponse:
    """The recipient's page. No account needed; the link is the key, and single-use.

    A valid link is always served. Only wrong links are counted and, past
    GIFT_CLAIM_MISS_LIMIT from one client address, refused with 429: a guesser cannot hit
    one of 2^256 tokens anyway, and the count must never lock out the recipients who share
    that address (an office, a carrier's NAT).
    """
    gift = selectors.gift_by_token(token)
    if gift is None:
        return _wrong_link(request)

    mine = claims_of_this_visitor(request, gift)
    is_sender = request.user.is_authenticated and request.user.pk == gift.sender_id
    variants = selectors.gift_variants(gift)
    action = request.POST.get("action", "accept") if request.method == "POST" else None
    form = ClaimForm(
        request.POST if action not in (None, "decline", "thank", *CHANGE_ACTIONS) else None,
        initial={"sku": gift.sku_id},
    )
    # Only whoever accepted can thank; for anyone else the form is not built.
    thanks_form = ThanksForm(request.POST if action == "thank" else None) if mine else None
    changing = _changed_claim(request, mine) if action in CHANGE_ACTIONS else None
    gift_changes = None
    if mine:
        gift_changes = changes_for_claim(request, changing or mine[0], posted=changing)
        if isinstance(gift_changes, HttpResponse):
            return _private(gift_changes)
    if action in CHANGE_ACTIONS:
        if changing is None:
            messages.error(request, _("Only the person who accepted this gift can change it."))
    elif action == "thank":
        if _thank(request, thanks_form, mine):
            return redirect("gifting:claim", token=token)
    elif action and not mine and not is_sender:
        if action == "decline":
            if request.POST.get("confirm") != "yes":
                return _private(render(request, "gifting/decline_confirm.html", {"gift": gift}))
            return _decline(request, gift, token)
        if form.is_valid():
            with errors_on_form(form):
                data = form.cleaned_data
                made = services.gift_claim(
                    gift=gift,
                    recipient=Recipient(
                        **{k: v for k, v in data.items() if k not in ("sku", "sms_consent")}
                    ),
                    sku_id=data.get("sku"),
                    user=request.user if request.user.is_authenticated else None,
                    sms_consent=data["sms_consent"],
                    language=get_language(),
                )
                messages.success(request, _("Accepted! The shop will send it to you."))
                return remember_claim(request, redirect("gifting:claim", token=token), made)
        gift.refresh_from_db()
    for made_here in mine:
        made_here.tracking_url = selectors.tracking_url(made_here)
    cover = selectors.gift_cover(gift)
    context = {
        "gift": gift,
        # The page's title and its first line; the share card words it apart (its own msgctxt).
        "gift_from": _("A gift from %(name)s") % {"name": gift.sender_name},
        "display": selectors.gift_display_status(gift, timezone.now()),
        "product": gift.sku.product,
        "cover": cover,
        # Link previews need an absolute address; storage may already give one.
        "card_image": urljoin(settings.SITE_URL + "/", cover.image.url) if cover else "",
        "variants": variants,
        "form": form,
        "field_errors": [field for field in form.visible_fields() if field.errors],
        "thanks_form": thanks_form,
        "changes": gift_changes,
        "mine": mine,
        "is_sender": is_sender,
        "chosen": str(form["sku"].value() or gift.sku_id),
        "chip_in_from": chipin_selectors.from_line(gift),
    }
    return _private(render(request, "gifting/claim.html", context))


def track(request: HttpRequest, token: str) -> HttpResponse:
    """The recipient's private tracking page: the parcel's status on any device, from the
    link texted to them and shown after accepting. No price, no address, never indexed."""
    claim = selectors.claim_by_tracking_token(token)
    if claim is None:
        return _private(render(request, "gifting/claim_invalid.html", status=404))
    return _private(render(request, "gifting/track.html", {"claim": claim, "order": claim.order}))


CHANGE_ACTIONS = ("change_variant", "change_address")


def _changed_claim(request: HttpRequest, mine: list) -> object | None:
    """The claim a change form was posted for, if it is this visitor's."""
    wanted = request.POST.get("claim", "")
    return next((c for c in mine if str(c.pk) == wanted), None)


def changes_for_claim(
    request: HttpRequest, claim: object, *, posted: object | None = None
) -> dict | HttpResponse | None:
    """The recipient's change forms for one claim (`_gift_changes.html`), and their posts.

    Used by the claim page and the gift order's page. A form posted for `posted` is
    handled: on success, back to the page; otherwise the forms keep what was typed and
    show the errors. None once nothing can be changed (the parcel left).
    """
    offer = changes.change_offer(claim)
    if offer is None:
        return None
    action = request.POST.get("action") if posted is not None else None
    variant_form = VariantChangeForm(
        request.POST if action == "change_variant" else None, variants=offer.variants
    )
    address_form = AddressChangeForm(
        request.POST if action == "change_address" else None, prefix="change"
    )
    form = {"change_variant": variant_form, "change_address": address_form}.get(action)
    if form is not None and form.is_valid():
        with errors_on_form(form):
            if action == "change_variant":
                changes.variant_change_request(claim=claim, sku_id=form.cleaned_data["sku"])
            else:
                changes.address_change_request(claim=claim, address=form.cleaned_data)
            messages.success(request, _("Your change was sent to the shop."))
            return redirect(request.path)
    return {
        "claim": claim,
        "offer": offer,
        "variant_form": variant_form,
        "address_form": address_form,
    }


def _thank(request: HttpRequest, form: ThanksForm | None, mine: list) -> bool:
    """A thank-you note from whoever accepted (this browser or account), nobody else."""
    if not mine:
        messages.error(request, _("Only the person who accepted this gift can send thanks."))
        return False
    if not form.is_valid():
        return False
    claim = next((c for c in mine if c.pk == form.cleaned_data["claim"]), None)
    if claim is None:
        form.add_error(None, _("Only the person who accepted this gift can send thanks."))
        return False
    with errors_on_form(form):
        services.gift_thank(claim=claim, thanks=form.cleaned_data["thanks"])
        messages.success(request, _("Thank you! The sender will see your note."))
        return True
    return False


def _wrong_link(request: HttpRequest) -> HttpResponse:
    client = client_address(request)
    limit = settings.GIFT_CLAIM_MISS_LIMIT
    if throttle.is_blocked("gift-claim", client, limit=limit):
        reason = _(
            "Too many gift links that do not exist were opened from here. Please try again later."
        )
        response = render(request, "throttled.html", {"reason": reason}, status=429)
        response["Retry-After"] = str(settings.GIFT_CLAIM_MISS_WINDOW_SECONDS)
        return _private(response)
    misses = throttle.record_miss(
        "gift-claim", client, window=settings.GIFT_CLAIM_MISS_WINDOW_SECONDS
    )
    if misses == limit:
        logger.warning("%d wrong gift links from %s: throttled", misses, client)
    return _private(render(request, "gifting/claim_invalid.html", status=404))


def _decline(request: HttpRequest, gift: Gift, token: str) -> HttpResponse:
    with errors_as_messages(request):
        services.gift_decline(
            gift=gift, user=request.user if request.user.is_authenticated else None
        )
        if gift.is_group:
            messages.info(request, _("No problem: you did not take one. The others still can."))
        else:
            messages.info(request, _("You declined the gift. The sender gets their money back."))
    return redirect("gifting:claim", token=token)


def _private(response: HttpResponse) -> HttpResponse:
    """The token is in the URL: never send it on to another site, nor into a search index.

    `same-origin`, not `no-referrer`: with no-referrer browsers send `Origin: null` on the
    page's own form posts, which Django's CSRF check rightly refuses.
    """
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
