"""The storefront project: settings, URLs, Celery app, and the shop's own apps."""

from .celery import app as celery_app

__all__ = ("celery_app",)
