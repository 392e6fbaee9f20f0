"""Settings for bench workers whose sandbox notification deliveries are parked.

The code has no switch to turn the sandbox's deliveries off, but Celery reads its routing
from the settings module named by DJANGO_SETTINGS_MODULE (shop/celery.py only sets a
default). Workers started with this module still publish one `deliver_notification` per
refund (the broker round trip stays in the measurement) to a queue that no worker
consumes; the bench flushes it afterwards. Nothing else differs from shop.settings.
"""

from shop.settings import *  # noqa: F403

PARKED_QUEUE = "perf-parked-deliveries"
CELERY_TASK_ROUTES = (
    {"shop.sandbox.tasks.deliver_notification": {"queue": PARKED_QUEUE}},
    *CELERY_TASK_ROUTES,  # noqa: F405
)
