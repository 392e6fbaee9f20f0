import uuid

import pytest
from django.conf import settings

from shop.core.cache import RedisCache


@pytest.fixture
def redis_cache() -> RedisCache:
    """The cache backend on the suite's Redis (the broker's server), under unique keys."""
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.fail("these tests need the suite's Redis broker (make test sets it)")
    return RedisCache(settings.CELERY_BROKER_URL, {"KEY_PREFIX": uuid.uuid4().hex})


def test_the_redis_cache_stores_reads_and_counts(redis_cache: RedisCache) -> None:
    redis_cache.set("page", ("gen", "text/html", "<p>hi</p>"), 5)
    assert redis_cache.get("page") == ("gen", "text/html", "<p>hi</p>")
    assert redis_cache.get_many(["page", "missing"]) == {"page": ("gen", "text/html", "<p>hi</p>")}
    assert redis_cache.add("misses", 1, 5)
    assert redis_cache.incr("misses") == 2
    redis_cache.delete_many(["page", "misses"])


def test_the_redis_cache_reuses_one_client_per_pool(redis_cache: RedisCache) -> None:
    client = redis_cache._cache.get_client("a", write=True)
    assert redis_cache._cache.get_client("b") is client
