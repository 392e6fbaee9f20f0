"""The campaign: load through the balancer while faults are injected, then the books.

While it runs, at once:
- `gifts`: the two brands send SCALE_GIFTS gifts through the partner API;
- `claims`: SCALE_CLAIMS of them are claimed by recipients on phone-sized sessions (each
  its own cookies: open the link, accept with an address); the rest are left to expire;
- `browse`: shoppers browse the home page, listing, search and product pages;
- `checkout`: shoppers log in, add to cart, check out and pay in the sandbox, then watch
  their orders: a paid order must never show as unpaid again (the replica never serves it).
And the faults, one after the other (`_faults`): SIGKILL web node 1 and restart it; stop
the replica for SCALE_REPLICA_PAUSE_SECONDS; restart RabbitMQ; start a second beat (an
operator's mistake) before the gifts expire; SIGKILL the refunds worker while the refund
queue drains, and restart it. Then it waits for every gift, refund and webhook to settle.

Every request is recorded (phase, wall-clock time, latency, status), so the report gives
p50/p99 per phase and the 5xx answers inside and outside the seconds a node was down.
"""

import asyncio
import json
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp
import psycopg

from tests.perf.http_targets import RECIPIENT, SEARCHES
from tests.perf.load import _percentile

from .cluster import Cluster, wait_for

PHONE = {
    "User-Agent": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
    ),
    "Accept-Language": "en",
    "Viewport-Width": "390",
}
_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_FINGERPRINT = re.compile(r'name="fingerprint" value="([^"]+)"')
_CHARGE = re.compile(r"/sandbox/pay/(ch_[0-9a-f]+)/")
# Seconds after a node's restart (back UP in the balancer) still counted as "node down".
NODE_DOWN_GRACE_SECONDS = 2
SETTLE_TIMEOUT_SECONDS = 300
RETRIES = 4
ACCEPTED = "You accepted this gift"
# What the link shows after an acceptance whose answer (and its cookie) was lost to a dead
# node: nobody else has the campaign's links, so it is the phone's own acceptance.
ALREADY_ACCEPTED = "This gift has already been accepted."
EXPIRED = "This gift expired: it was not accepted in time."
PAID = "Thank you, your payment arrived"
_ORDER_LINK = re.compile(r'href="/orders/([^/"]+)/"')


@dataclass
class Record:
    phase: str
    at: float  # wall clock, seconds
    latency: float
    status: int | str


@dataclass
class Window:
    fault: str
    start: float
    end: float = 0.0
    node_down: bool = False
    note: str = ""


@dataclass
class Run:
    records: list[Record] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    gifts_sent: int = 0
    gift_failures: list[str] = field(default_factory=list)
    claims_done: int = 0
    # Claims that reached their link after its gift expired: the load ran late, not the
    # shop wrong (the audit checks no gift expired before its time and these gifts were
    # refunded like any other unclaimed one).
    claims_too_late: int = 0
    claim_failures: list[str] = field(default_factory=list)
    checkouts_paid: int = 0
    checkout_failures: list[str] = field(default_factory=list)
    paid_shown_unpaid: int = 0
    fault_errors: list[str] = field(default_factory=list)
    settled: bool = False
    started: float = 0.0
    finished: float = 0.0

    def phases(self) -> dict[str, dict]:
        by_phase: dict[str, list[Record]] = {}
        for record in self.records:
            by_phase.setdefault(record.phase, []).append(record)
        summary = {}
        for phase, records in by_phase.items():
            latencies = sorted(r.latency for r in records)
            summary[phase] = {
                "requests": len(records),
                "p50_ms": round(1000 * _percentile(latencies, 0.50)),
                "p99_ms": round(1000 * _percentile(latencies, 0.99)),
                "5xx": sum(1 for r in records if _is_5xx(r.status)),
            }
        return summary

    def node_down(self, record: Record) -> bool:
        """The request was in flight at some moment while a node was down."""
        return any(
            w.node_down
            and record.at <= w.end + NODE_DOWN_GRACE_SECONDS
            and record.at + record.latency >= w.start
            for w in self.windows
        )

    def server_errors(self) -> tuple[list[Record], list[Record]]:
        """(5xx while a node was down, 5xx at any other time)."""
        errors = [r for r in self.records if _is_5xx(r.status)]
        return [r for r in errors if self.node_down(r)], [
            r for r in errors if not self.node_down(r)
        ]


def _accepted(body: str) -> bool:
    return ACCEPTED in body or ALREADY_ACCEPTED in body


def _is_5xx(status: int | str) -> bool:
    """A 5xx, or no answer at all (the balancer refused or dropped the connection)."""
    return not isinstance(status, int) or status >= 500


class Load:
    def __init__(self, cluster: Cluster, made: dict, run: Run) -> None:
        self.cluster, self.made, self.run = cluster, made, run
        self.config = cluster.config
        self.base = self.config.balancer
        self.browsing = True

    async def request(
        self, session: aiohttp.ClientSession, phase: str, method: str, path: str, **kwargs
    ) -> tuple[int | str, str, str]:
        """(status, body, final URL); a connection error is recorded as its name."""
        begun = time.time()
        try:
            async with session.request(method, self.base + path, **kwargs) as response:
                body = await response.text(errors="replace")
                status, url = response.status, str(response.url)
        except (aiohttp.ClientError, TimeoutError) as error:
            status, body, url = type(error).__name__, "", ""
        self.run.records.append(Record(phase, begun, time.time() - begun, status))
        return status, body, url

    def session(self, headers: dict | None = None) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            headers={**PHONE, **(headers or {})},
            timeout=aiohttp.ClientTimeout(total=30),
        )

    # --- gifts from the partner API -------------------------------------------------------
    async def send_gifts(self, claims: asyncio.Queue) -> None:
        c = self.config
        every = max(1, c.gifts // max(c.claims, 1))
        numbers = iter(range(c.gifts))
        sessions = [
            self.session({"Authorization": f"Bearer {b['key']}", "Accept": "application/json"})
            for b in self.made["brands"]
        ]
        skus = self.made["gift_skus"]
        claimed = 0

        async def sender() -> None:
            nonlocal claimed
            for n in numbers:
                session = sessions[n % len(sessions)]
                body = {
                    "sku": skus[n % len(skus)],
                    "quantity": 1,
                    "sender_name": "Campaign",
                    "message": f"Gift {n}",
                }
                headers = {"Idempotency-Key": f"campaign-{n}"}
                for _ in range(5):  # a 5xx or lost answer is retried with the same key
                    status, text, _url = await self.request(
                        session, "gifts", "POST", "/api/v1/gifts/", json=body, headers=headers
                    )
                    if not _is_5xx(status):
                        break
                    await asyncio.sleep(0.5)
                if status != 201:
                    self.run.gift_failures.append(f"gift {n}: {status} {text[:200]}")
                    continue
                self.run.gifts_sent += 1
                if n % every == 0 and claimed < c.claims:
                    claimed += 1
                    claim_url = json.loads(text)["claim_url"]
                    await claims.put(urlsplit(claim_url).path)

        try:
            await asyncio.gather(*(sender() for _ in range(max(2, c.concurrency // 2))))
        finally:
            for session in sessions:
                await session.close()

    # --- claims on phones -----------------------------------------------------------------
    async def claim(self, path: str) -> None:
        """Open the link and accept; on a 5xx or a dropped connection the recipient opens
        the link again (a phone's reload), which shows the gift accepted if it was (by
        this phone's session, or, if the answer carrying its cookie was lost, as accepted
        already); the audit then checks the database has exactly as many acceptances."""
        async with self.session() as session:
            for _ in range(RETRIES):
                status, body, _url = await self.request(session, "claims", "GET", path)
                if _accepted(body) or EXPIRED in body:
                    break
                token = _CSRF_FIELD.search(body)
                if status != 200 or token is None:
                    await asyncio.sleep(1)
                    continue
                form = {**RECIPIENT, "csrfmiddlewaretoken": token[1]}
                status, body, _url = await self.request(session, "claims", "POST", path, data=form)
                if _accepted(body) or not _is_5xx(status):
                    break
                await asyncio.sleep(1)
            if status == 200 and EXPIRED in body:  # before it was opened, or accepted
                self.run.claims_too_late += 1
                return
            if status != 200 or not _accepted(body):
                self.run.claim_failures.append(f"{path}: {status} {body[:120]!r}")
                return
            self.run.claims_done += 1

    async def claimers(self, claims: asyncio.Queue, workers: int) -> None:
        async def claimer() -> None:
            while (path := await claims.get()) is not None:
                await self.claim(path)

        await asyncio.gather(*(claimer() for _ in range(workers)))

    # --- browsing ------------------------------------------------------------------------
    async def browse(self, n: int) -> None:
        products = self.made["products"]
        async with self.session() as session:
            i = n
            while self.browsing:
                i += 1
                path = (
                    "/",
                    "/products/",
                    f"/products/?q={SEARCHES[i % len(SEARCHES)]}",
                    f"/products/{products[i % len(products)]}/",
                )[i % 4]
                await self.request(session, "browse", "GET", path)
                await asyncio.sleep(0.05)

    # --- checkouts -----------------------------------------------------------------------
    async def shopper(self, person: dict, checkouts: int) -> None:
        async with self.session() as session:
            _, body, _ = await self.request(session, "checkout", "GET", "/account/login/")
            token = _CSRF_FIELD.search(body)
            login = {
                "username": person["email"],
                "password": person["password"],
                "csrfmiddlewaretoken": token[1] if token else "",
            }
            status, body, url = await self.request(
                session, "checkout", "POST", "/account/login/", data=login
            )
            if "/account/login/" in url:
                self.run.checkout_failures.append(f"{person['email']}: login {status}")
                return
            for n in range(checkouts):
                for _ in range(RETRIES):  # a checkout cut off by a dead node is redone
                    if await self.checkout(session, n):
                        break

    async def checkout(self, session: aiohttp.ClientSession, n: int) -> bool:
        skus = self.made["shop_skus"]
        product = self.made["products"][n % len(self.made["products"])]
        _, body, _ = await self.request(session, "checkout", "GET", f"/products/{product}/")
        token = _CSRF_FIELD.search(body)
        csrf = token[1] if token else ""
        add = {"sku": skus[n % len(skus)], "quantity": 1, "csrfmiddlewaretoken": csrf}
        await self.request(session, "checkout", "POST", "/cart/add/", data=add)
        status, body, _ = await self.request(session, "checkout", "GET", "/orders/checkout/")
        fingerprint, address = (
            _FINGERPRINT.search(body),
            re.search(r'name="address" value="(\d+)"', body),
        )
        if status != 200 or fingerprint is None or address is None:
            self.run.checkout_failures.append(f"checkout page {status}")
            return False
        place = {"address": address[1], "fingerprint": fingerprint[1], "csrfmiddlewaretoken": csrf}
        status, body, url = await self.request(
            session, "checkout", "POST", "/orders/checkout/", data=place
        )
        charge = _CHARGE.search(url)
        if charge is None:
            self.run.checkout_failures.append(f"place order {status} → {url}")
            return False
        status, body, url = await self.request(
            session,
            "checkout",
            "POST",
            f"/sandbox/pay/{charge[1]}/complete/",
            data={"action": "pay", "csrfmiddlewaretoken": csrf},
        )
        back = urlsplit(url).path
        deadline = time.monotonic() + 60
        while PAID not in body:
            if time.monotonic() > deadline:
                self.run.checkout_failures.append(f"{back}: no payment shown within 60 s")
                return False
            await asyncio.sleep(1)
            status, body, _ = await self.request(session, "checkout", "GET", back)
        self.run.checkouts_paid += 1
        # Paid, and never shown as unpaid again: each order's own page says so, every time.
        for number in set(_ORDER_LINK.findall(body)):
            for _ in range(2):
                _, page, _ = await self.request(session, "checkout", "GET", f"/orders/{number}/")
                if "Awaiting payment" in page:
                    self.run.paid_shown_unpaid += 1
        return True

    async def shoppers(self) -> None:
        people = self.made["shoppers"]
        each = -(-self.config.checkouts // max(len(people), 1))
        await asyncio.gather(*(self.shopper(p, each) for p in people))


class Database:
    """The cluster's primary, for the faults' cues (how far the refunds got)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def count(self, sql: str) -> int:
        with psycopg.connect(self.url, connect_timeout=5) as connection:
            return connection.execute(sql).fetchone()[0]

    def refunds(self, status: str) -> int:
        return self.count(
            "SELECT count(*) FROM payments_refund WHERE subject LIKE 'gift:%%' "
            f"AND status = '{status}'"
        )

    def unsettled(self) -> int:
        """Gifts still live, refunds pending and webhook deliveries not yet made."""
        return self.count(
            "SELECT (SELECT count(*) FROM gifting_gift WHERE status IN "
            "('awaiting_recipient', 'pending_payment'))"
            " + (SELECT count(*) FROM payments_refund WHERE status = 'pending')"
            " + (SELECT count(*) FROM partners_webhookdelivery WHERE status = 'pending')"
        )


def _faults(cluster: Cluster, run: Run, db: Database) -> None:
    """The faults in turn, each cued by the load's progress; runs in a thread."""
    c = cluster.config

    def at(share: float, of: str) -> None:
        total = c.gifts if of == "gifts_sent" else max(c.claims, 1)
        wait_for(f"{of} ≥ {share:.0%}", lambda: getattr(run, of) >= share * total, 900)

    def fault(name: str, action: object, node_down: bool = False) -> None:
        window = Window(name, time.time(), node_down=node_down)
        run.windows.append(window)
        try:
            action()  # type: ignore[operator]
        except Exception as error:
            run.fault_errors.append(f"{name}: {error}")
        window.end = time.time()

    def kill_node() -> None:
        node = cluster.node(1)
        node.kill()
        time.sleep(2)
        cluster.restart(node, lambda: cluster.node_ready(1) and cluster.balancer_sees(1))

    def pause_replica() -> None:
        cluster.replica("stop")
        time.sleep(c.replica_pause)
        cluster.replica("resume")

    def kill_refund_worker() -> None:
        worker = cluster.worker("refunds")
        expected = max(c.gifts - c.claims, 1)
        wait_for(
            "refunds under way",
            lambda: db.refunds("succeeded") >= max(1, expected // 10) and db.refunds("pending"),
            c.accept_window + 300,
        )
        run.windows[
            -1
        ].note = f"at {db.refunds('succeeded')} refunded, {db.refunds('pending')} pending"
        worker.kill()
        time.sleep(1)
        cluster.restart(worker, lambda: cluster.worker_ready("refunds"))

    at(0.25, "gifts_sent")
    fault("SIGKILL web node 1, restart", kill_node, node_down=True)
    at(0.5, "gifts_sent")
    fault(f"replica stopped {c.replica_pause} s", pause_replica)
    at(0.5, "claims_done")
    if c.on_rabbitmq:
        fault("RabbitMQ restarted (stop_app, start_app)", cluster.restart_broker)
    at(1.0, "gifts_sent")
    fault("a second beat started", cluster.second_beat)
    fault("SIGKILL the refunds worker mid-queue, restart", kill_refund_worker)


def run_campaign(cluster: Cluster, made: dict) -> Run:
    run = Run(started=time.time())
    db = Database(cluster.config.database_url)
    load = Load(cluster, made, run)
    faults = threading.Thread(target=_faults, args=(cluster, run, db), daemon=True)

    async def everything() -> None:
        claims: asyncio.Queue = asyncio.Queue()
        workers = max(2, cluster.config.concurrency // 2)
        browsers = [asyncio.create_task(load.browse(n)) for n in range(2)]
        claimers = asyncio.create_task(load.claimers(claims, workers))
        try:
            await asyncio.gather(load.send_gifts(claims), load.shoppers())
        finally:
            for _ in range(workers):
                await claims.put(None)
        await claimers
        while faults.is_alive():
            await asyncio.sleep(1)
        load.browsing = False
        await asyncio.gather(*browsers)

    faults.start()
    asyncio.run(everything())
    faults.join()
    # Every gift expired or accepted, every refund settled, every webhook sent.
    deadline = time.monotonic() + cluster.config.accept_window + SETTLE_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        run.settled = db.unsettled() == 0
        if run.settled:
            break
        time.sleep(2)
    run.finished = time.time()
    return run
