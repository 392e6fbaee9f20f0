import pytest
from django.conf import settings

from shop.celery import app


def _queue(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("shop.payments.tasks.refund_execute_task", "refunds"),
        ("shop.payments.tasks.refunds_execute_task", "refunds"),
        ("shop.partners.tasks.deliver_webhook", "webhooks"),
        ("shop.sandbox.tasks.deliver_notification", "webhooks"),
        ("shop.orders.tasks.send_order_confirmation_task", "emails"),
        ("shop.notices.tasks.send_notice_task", "emails"),
        ("gifting.tasks.expire_due_gifts_task", "celery"),
    ],
)
def test_tasks_are_routed_to_their_queue(task: str, queue: str) -> None:
    assert _queue(task) == queue
    assert queue in settings.TASK_QUEUES


def test_workers_ack_late_take_one_task_at_a_time_and_have_time_limits() -> None:
    assert app.conf.task_acks_late is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit


def test_a_worker_on_several_queues_takes_refunds_first() -> None:
    assert settings.TASK_QUEUES[0] == "refunds"
    assert app.conf.broker_transport_options["queue_order_strategy"] == "priority"


def test_the_development_worker_consumes_every_queue() -> None:
    procfile = (settings.BASE_DIR / "Procfile").read_text()
    worker = next(line for line in procfile.splitlines() if line.startswith("worker:"))
    assert f"-Q {','.join(settings.TASK_QUEUES)}" in worker
