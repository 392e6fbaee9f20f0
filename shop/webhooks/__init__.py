"""Webhooks to partners: the outbox, and its delivery. A leaf below the domain.

Domain services report what changed with `events.report(kind, subjects)` inside their own
transaction; the rows it writes are the outbox. Who hears of it and what the body says is
presentation, so the API registers a builder per event type at start-up
(`shop/api/webhook_payloads.py`, from `ApiConfig.ready`) and this package never imports
the domain that calls it: only `shop.core` and the partners' models.
"""
