"""The sandbox's hosted payment page: where the shopper confirms or declines."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import provider
from .models import SandboxCharge


def pay(request: HttpRequest, charge_id: str) -> HttpResponse:
    charge = get_object_or_404(SandboxCharge, pk=charge_id)
    return render(request, "sandbox/pay.html", {"charge": charge})


@require_POST
def complete(request: HttpRequest, charge_id: str) -> HttpResponse:
    charge = get_object_or_404(SandboxCharge, pk=charge_id)
    charge = provider.charge_complete(
        charge_id=charge.pk, approve=request.POST.get("action") == "pay"
    )
    return redirect(charge.return_url)
