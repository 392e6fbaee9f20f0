import logging
from dataclasses import replace
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shop.core.client import client_address

from . import selectors, services
from .gateway import (
    JSAPI,
    NATIVE,
    GatewayError,
    InvalidNotification,
    NotificationAnswer,
    Payer,
    PaymentGateway,
    get_gateway,
    offered_gateways,
)
from .models import Payment

logger = logging.getLogger(__name__)
# The payer's WeChat openid (from the snsapi_base OAuth step), kept for JSAPI payments.
OPENID_SESSION_KEY = "wechat_openid"
OAUTH_STATE_SALT = "payments.oauth"


def payer_for(request: HttpRequest, channel: str = "") -> Payer:
    return Payer(
        channel=channel,
        client_ip=client_address(request),
        openid=request.session.get(OPENID_SESSION_KEY, ""),
        user_agent=request.headers.get("User-Agent", "")[:500],
    )


def _pay_page(reference: str, gateway: str = "", channel: str = "") -> str:
    query = urlencode({k: v for k, v in (("gateway", gateway), ("channel", channel)) if v})
    return reverse("payments:pay", args=[reference]) + (f"?{query}" if query else "")


def pay_step(request: HttpRequest, payment: Payment, return_url: str) -> HttpResponse:
    """Right after an order or gift is placed: open the payment with its provider in the
    browser's best channel. A redirect flow goes straight there; a flow that needs our
    page (a QR code, WeChat's JSAPI and its OAuth step) continues on the pay page.

    Raises GatewayError / GatewayTimeout for the caller's "try again" message.
    """
    payer = payer_for(request)
    channel = get_gateway(payment.gateway).channels(payer)[0]
    if channel == JSAPI and not payer.openid:
        return redirect(_pay_page(payment.reference, channel=channel))
    started = services.payment_start(
        payment=payment, return_url=return_url, payer=replace(payer, channel=channel)
    )
    if started.redirect_url:
        return redirect(started.redirect_url)
    return redirect(_pay_page(payment.reference, channel=channel))


@login_required
def pay(request: HttpRequest, reference: str) -> HttpResponse:
    """The pay step's own page: a QR code to scan (Native), the JSAPI button inside
    WeChat, and the other providers and channels the shopper may switch to."""
    payment = selectors.payment_for_payer(user=request.user, reference=reference)
    if payment is None:
        raise Http404("No such payment")
    back = selectors.payment_return_path(payment)
    if payment.status != Payment.Status.PENDING:
        return redirect(back)
    names = offered_gateways()
    name = request.GET.get("gateway", "")
    name = name if name in names else (payment.gateway if payment.gateway in names else names[0])
    gateway = get_gateway(name)
    payer = payer_for(request)
    channels = gateway.channels(payer)
    channel = request.GET.get("channel", "")
    channel = channel if channel in channels else channels[0]
    if channel == JSAPI and not payer.openid:
        return _oauth_redirect(request, gateway, reference)
    context = {
        "payment": payment,
        "back": back,
        "gateway": name,
        "channel": channel,
        "others": [(other, _pay_page(reference, other)) for other in names if other != name],
        "channels": [(c, _pay_page(reference, name, c)) for c in channels if c != channel],
    }
    try:
        started = services.payment_start(
            payment=payment,
            return_url=request.build_absolute_uri(back),
            payer=replace(payer, channel=channel),
            gateway=name,
        )
    except GatewayError:
        messages.error(request, _("The payment service did not answer. Try paying again."))
        return render(request, "payments/pay.html", context)
    if started.redirect_url:
        return redirect(started.redirect_url)
    if started.qr_code:
        qr = segno.make(started.qr_code, error="m").svg_inline(scale=5, dark="#1f2328")
        context.update(qr_svg=mark_safe(qr), qr_code=started.qr_code)
    context["jsapi_params"] = started.jsapi_params
    return render(request, "payments/pay.html", context)


def _oauth_redirect(request: HttpRequest, gateway: PaymentGateway, reference: str) -> HttpResponse:
    """WeChat's snsapi_base step: the provider sends the browser back with a code that
    `oauth_return` turns into the payer's openid; `state` carries the payment, signed."""
    state = signing.dumps(reference, salt=OAUTH_STATE_SALT)
    callback = request.build_absolute_uri(reverse("payments:oauth", args=[gateway.name]))
    return redirect(gateway.oauth_authorize_url(redirect_uri=callback, state=state))


@login_required
def oauth_return(request: HttpRequest, gateway: str) -> HttpResponse:
    if gateway not in offered_gateways():
        raise Http404("No such gateway")
    try:
        reference = signing.loads(request.GET.get("state", ""), salt=OAUTH_STATE_SALT, max_age=600)
    except signing.BadSignature as error:
        raise Http404("Bad OAuth state") from error
    try:
        request.session[OPENID_SESSION_KEY] = get_gateway(gateway).oauth_openid(
            code=request.GET.get("code", "")
        )
    except GatewayError:
        messages.error(request, _("WeChat did not confirm who you are. Scan the code instead."))
        return redirect(_pay_page(reference, gateway, NATIVE))
    return redirect(_pay_page(reference, gateway, JSAPI))


def _reply(answer: NotificationAnswer) -> HttpResponse:
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)


@csrf_exempt
@require_POST
def notify(request: HttpRequest, gateway: str) -> HttpResponse:
    """A provider's server-to-server notification, for any gateway the pay step offers.

    Verified by signature, not by CSRF, and answered in the provider's documented format
    whatever arrives: a forged or malformed one is refused and logged without its body
    (it may carry personal data), and nothing in it can produce a 500.
    """
    if gateway not in offered_gateways():
        return HttpResponse(status=404)
    provider = get_gateway(gateway)
    try:
        notification = provider.parse_notification(body=request.body, headers=request.headers)
    except InvalidNotification as error:
        logger.warning("Refused a %s notification: %s", gateway, error)
        return _reply(provider.answer(str(error)))
    try:
        services.notification_handle(notification=notification, gateway=provider.name)
    except Exception:
        # Answered as a failure so that the provider delivers it again later.
        logger.exception("Could not apply %s notification %s", gateway, notification.event_id)
        return _reply(provider.answer("Not applied; deliver again."))
    return _reply(provider.answer(None))
