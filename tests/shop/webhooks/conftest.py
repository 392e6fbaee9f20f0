"""The webhook tests share the partner tests' loopback receiver and fixtures: webhooks are
what partners receive, and both drive them through the partner API."""

from tests.shop.partners.conftest import (  # noqa: F401 (fixtures, found by name)
    Receiver,
    _empty_cache,
    assert_event_body,
    brand,
    dead_broker_url,
    gift_payload,
    insecure_webhooks,
    no_publish,
    publishing_to,
    receiver,
    signature_valid,
    sku,
    worker_env,
)
