"""What the HTTP load bench drives: one entry a target.

A target is a name, a method, a path and headers, a body factory and a setup. `setup`
runs in the bench process against the bench database before the load (it makes the rows
the requests need) and returns data the factories read; `path(data, n)` and
`body(data, n)` make request number n. A target with `requests` set consumes one fresh
row a request (e.g. a gift that can be claimed once) and stops when they run out; one
without cycles through its paths for the whole run.

A `page` target is a storefront page: it is measured at every catalogue size, on a server
with the page cache off (`cold_floor_share` is its target) and on one with it on
(`floor_share`). Other targets run once, at the largest size, with the cache on.

To add a target, append one `Target(...)` to TARGETS.
"""

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from shop.catalogue.models import Product, StockRecord
from shop.partners import services
from tests.perf import data

# The CSRF check wants the same secret in the cookie and the header (HTTP, no Referer).
_CSRF = secrets.token_hex(16)
CSRF_HEADERS = {"Cookie": f"csrftoken={_CSRF}", "X-CSRFToken": _CSRF}
CYCLE = 500  # paths planned for a cycling target

RECIPIENT = {
    "action": "accept",
    "recipient_name": "李小红",
    "phone": "13912345678",
    "province": "浙江省",
    "city": "杭州市",
    "district": "西湖区",
    "street": "文三路 1 号 2 单元 301",
}


@dataclass(frozen=True)
class Target:
    name: str
    method: str
    path: Callable[[dict, int], str]
    headers: Callable[[dict], dict[str, str]] = lambda data: {}
    body: Callable[[dict, int], dict] | None = None
    setup: Callable[[], dict] = dict
    requests: int | None = None
    json: bool = False  # the body is sent as JSON rather than a form
    floor_share: float | None = None  # the issue's target: this share of the floor's rps
    is_floor: bool = False
    concurrency: int | None = None  # requests in flight; default BENCH_HTTP_CONCURRENCY
    page: bool = False  # measured cold and cached at every catalogue size
    cold_floor_share: float | None = None  # the target with the page cache off

    def plan(self) -> dict:
        """Everything the load process needs, as JSON: no callables cross the process."""
        made = self.setup()
        count = self.requests or CYCLE
        return {
            "name": self.name,
            "method": self.method,
            "headers": self.headers(made),
            "paths": [self.path(made, n) for n in range(count)],
            "bodies": [self.body(made, n) for n in range(count)] if self.body else None,
            "json": self.json,
            "cycle": self.requests is None,
            "concurrency": self.concurrency,
        }


def _first_product() -> dict:
    return {"product": Product.objects.order_by("pk").values_list("pk", flat=True).first()}


def _links(count: int) -> Callable[[], dict]:
    return lambda: {"links": data.live_links(data.shop(skus=20, senders=50), count)}


SEARCHES = ("咖啡", "杯子", "背包", "kafei", "cofee", "bag", "耳机", "围巾", "mug", "礼盒")


def _search(data: dict, n: int) -> str:
    """A shopper's query, in turn (cold or cached depends on the server measured)."""
    return f"/products/?q={quote(SEARCHES[n % len(SEARCHES)])}"


CLAIMS = 6_000  # more than two workers can accept in one run
API_CLIENTS = 16  # the partner API issue's figure: 16 concurrent clients


def _brand() -> dict:
    """A brand with a key, a balance for every gift of the run, and a giftable SKU."""
    sku = data.shop(skus=1, senders=1).skus[0]
    StockRecord.objects.filter(sku=sku).update(quantity=1_000_000)
    partner = services.partner_get_or_create(name="Bench brand")
    services.balance_top_up(partner=partner, amount=Decimal("100000000"), reference="bench")
    return {"key": services.api_key_issue(partner=partner).raw, "sku": f"sku_{sku.pk}"}


TARGETS: list[Target] = [
    Target("floor (/healthz)", "GET", lambda d, n: "/healthz", is_floor=True, page=True),
    Target(
        "listing",
        "GET",
        lambda d, n: "/products/",
        floor_share=0.5,
        page=True,
        cold_floor_share=0.15,
    ),
    Target("home", "GET", lambda d, n: "/", page=True, cold_floor_share=0.15),
    Target("search", "GET", _search, page=True, cold_floor_share=0.15),
    Target(
        "product page",
        "GET",
        lambda d, n: f"/products/{d['product']}/",
        setup=_first_product,
        floor_share=0.5,
        page=True,
        cold_floor_share=0.2,
    ),
    Target(
        "gift chart",
        "GET",
        lambda d, n: "/charts/gifts/",
        page=True,
        cold_floor_share=0.15,
    ),
    Target(
        "claim page (GET)",
        "GET",
        lambda d, n: d["links"][n % len(d["links"])],
        setup=_links(200),
        floor_share=0.3,
    ),
    Target(
        "claim submit (POST, fresh gifts)",
        "POST",
        lambda d, n: d["links"][n],
        headers=lambda d: CSRF_HEADERS,
        body=lambda d, n: RECIPIENT,
        setup=_links(CLAIMS),
        requests=CLAIMS,
        floor_share=0.1,
    ),
    Target(
        f"floor, {API_CLIENTS} clients",
        "GET",
        lambda d, n: "/healthz",
        is_floor=True,
        concurrency=API_CLIENTS,
    ),
    Target(
        "partner API: create gift (POST)",
        "POST",
        lambda d, n: "/api/v1/gifts/",
        headers=lambda d: {"Authorization": f"Bearer {d['key']}"},
        body=lambda d, n: {"sku": d["sku"], "quantity": 1, "sender_name": "Bench brand"},
        setup=_brand,
        json=True,
        concurrency=API_CLIENTS,
        floor_share=0.15,
    ),
]

# BENCH_TARGETS=claim,partner: only the targets whose names hold one of the words (and the
# floors they are measured against), for a run about those alone.
_ONLY = [word.strip() for word in os.environ.get("BENCH_TARGETS", "").split(",") if word.strip()]
if _ONLY:
    TARGETS = [t for t in TARGETS if t.is_floor or any(word in t.name for word in _ONLY)]
