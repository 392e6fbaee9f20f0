"""`publish`: a broker message per call, except inside `publishing_off()`."""

from shop.core.tasks import publish, publishing_off


class Task:
    """Stands in for a Celery task at the broker's edge: records what was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[object, ...]] = []

    def delay(self, *args: object) -> None:
        self.sent.append(args)


def test_publish_sends_the_task_with_its_arguments() -> None:
    task = Task()
    assert publish(task, 1, "a")
    assert task.sent == [(1, "a")]


def test_nothing_is_published_while_publishing_is_off() -> None:
    task = Task()
    with publishing_off():
        assert not publish(task, 1)
    assert task.sent == []


def test_publishing_resumes_after_the_block() -> None:
    task = Task()
    with publishing_off():
        publish(task, 1)
    publish(task, 2)
    assert task.sent == [(2,)]
