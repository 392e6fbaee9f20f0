"""Builders for partners and API calls, through the real services (keys, balance)."""

import json
from decimal import Decimal

from django.test import Client

from merchants.models import Merchant
from shop.partners import services
from shop.partners.models import Partner
from tests.factories import MerchantFactory


class Api:
    """A partner's API client: JSON in, with its bearer key."""

    def __init__(self, client: Client, key: str) -> None:
        self.client = client
        self.key = key

    def _headers(self, headers: dict | None) -> dict:
        extra = {"HTTP_AUTHORIZATION": f"Bearer {self.key}"}
        for name, value in (headers or {}).items():
            extra["HTTP_" + name.upper().replace("-", "_")] = value
        return extra

    def get(self, path: str, headers: dict | None = None, **params: object) -> object:
        return self.client.get(path, params, **self._headers(headers))

    def post(self, path: str, body: object = None, headers: dict | None = None) -> object:
        data = json.dumps(body) if body is not None else ""
        return self.client.post(
            path, data, content_type="application/json", **self._headers(headers)
        )

    def post_multipart(self, path: str, data: dict, headers: dict | None = None) -> object:
        return self.client.post(path, data, **self._headers(headers))

    def patch(self, path: str, body: object, headers: dict | None = None) -> object:
        return self.client.patch(
            path, json.dumps(body), content_type="application/json", **self._headers(headers)
        )

    def delete(self, path: str, headers: dict | None = None) -> object:
        return self.client.delete(path, **self._headers(headers))


def partner_with_key(
    name: str = "Brand",
    *,
    balance: str | None = None,
    merchants: list[Merchant] | None = None,
) -> tuple[Partner, str]:
    """A partner with a live key (the raw key is returned), a balance and merchants."""
    partner = services.partner_get_or_create(name=name)
    if balance:
        services.balance_top_up(partner=partner, amount=Decimal(balance), reference=f"t-{name}")
    services.merchants_grant(partner=partner, merchants=merchants or [])
    partner.refresh_from_db()
    return partner, services.api_key_issue(partner=partner).raw


def api_for(client: Client, name: str = "Brand", **kwargs: object) -> tuple[Partner, Api]:
    partner, key = partner_with_key(name, **kwargs)
    return partner, Api(client, key)


def managed_merchant(partner: Partner) -> Merchant:
    merchant = MerchantFactory()
    services.merchants_grant(partner=partner, merchants=[merchant])
    return merchant
