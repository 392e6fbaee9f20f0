"""The per-key rate limit holds under concurrency: at most `API_RATE_LIMIT` requests of a
window get through however many clients share the key, on Redis (production) and on the
local-memory cache (development, the default for `make test`)."""

import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.cache import cache as local_cache

from shop.api.throttling import ApiKeyRateThrottle
from shop.core.cache import RedisCache
from tests.partners import partner_with_key

CLIENTS = 8
NOW = 1_800_000_030.0  # 30 s into a minute; the clock is fixed so no window ends mid-test


@pytest.fixture
def redis_cache() -> Iterator[RedisCache]:
    """The cache backend on the suite's Redis (the broker's server), under keys of its own,
    removed afterwards (never FLUSHDB: the broker's queues live there)."""
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.fail("these tests need the suite's Redis broker (make test sets it)")
    prefix = uuid.uuid4().hex
    redis = RedisCache(settings.CELERY_BROKER_URL, {"KEY_PREFIX": prefix})
    yield redis
    client = redis._cache.get_client(write=True)
    keys = client.keys(f"{prefix}:*")
    if keys:
        client.delete(*keys)


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ApiKeyRateThrottle, "timer", staticmethod(lambda: NOW))


def fire(attempts_each: int, key_pk: int = 7) -> int:
    """CLIENTS threads released together, each asking `attempts_each` times; how many got
    through."""
    barrier = threading.Barrier(CLIENTS)
    allowed = []
    lock = threading.Lock()
    request = SimpleNamespace(auth=SimpleNamespace(pk=key_pk))

    def client() -> None:
        barrier.wait(timeout=10)
        mine = sum(ApiKeyRateThrottle().allow_request(request, None) for _ in range(attempts_each))
        with lock:
            allowed.append(mine)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(allowed) == CLIENTS, "a client never finished"
    return sum(allowed)


@pytest.mark.parametrize("backend", ["redis", "locmem"])
def test_eight_clients_on_one_key_get_exactly_the_limit_through(
    backend: str, redis_cache: RedisCache, fixed_clock: None, settings, monkeypatch
) -> None:
    settings.API_RATE_LIMIT = "100/min"
    monkeypatch.setattr(
        ApiKeyRateThrottle, "cache", redis_cache if backend == "redis" else local_cache
    )

    assert fire(attempts_each=40) == 100  # of 320


def test_the_count_starts_again_in_the_next_window(
    redis_cache: RedisCache, settings, monkeypatch
) -> None:
    settings.API_RATE_LIMIT = "2/min"
    monkeypatch.setattr(ApiKeyRateThrottle, "cache", redis_cache)
    request = SimpleNamespace(auth=SimpleNamespace(pk=7))
    clock = [NOW]
    monkeypatch.setattr(ApiKeyRateThrottle, "timer", staticmethod(lambda: clock[0]))

    assert [ApiKeyRateThrottle().allow_request(request, None) for _ in range(3)] == [
        True,
        True,
        False,
    ]
    throttle = ApiKeyRateThrottle()
    throttle.allow_request(request, None)
    assert throttle.wait() == 30  # the minute ends at NOW + 30 s
    clock[0] = NOW + 30
    assert ApiKeyRateThrottle().allow_request(request, None)


def test_concurrent_api_requests_on_one_key_get_at_most_the_limit_through(
    live_server, redis_cache: RedisCache, fixed_clock: None, settings, monkeypatch
) -> None:
    """Through the running API: 8 clients, 6 requests each, on a limit of 20 a minute."""
    settings.API_RATE_LIMIT = "20/min"
    monkeypatch.setattr(ApiKeyRateThrottle, "cache", redis_cache)
    _, key = partner_with_key("Brand")
    barrier = threading.Barrier(CLIENTS)
    statuses: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def client() -> None:
        barrier.wait(timeout=10)
        for _ in range(6):
            request = urllib.request.Request(
                f"{live_server.url}/api/v1/balance/", headers={"Authorization": f"Bearer {key}"}
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    answer = (response.status, None)
            except urllib.error.HTTPError as error:
                answer = (error.code, error.headers.get("Retry-After"))
            with lock:
                statuses.append(answer)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    assert len(statuses) == 48
    assert sum(1 for status, _ in statuses if status == 200) == 20
    refused = [retry for status, retry in statuses if status == 429]
    assert len(refused) == 28
    assert set(refused) == {"30"}
