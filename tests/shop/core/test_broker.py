"""The embedded broker hands a worker only whole messages, each to one consumer."""

import multiprocessing
from pathlib import Path

import pytest
from kombu import Connection

from shop.core import broker

MESSAGES = 300
BODY = "x" * 2_000_000  # big enough that writing one takes longer than a consumer's poll


@pytest.fixture(autouse=True)
def _forget_bindings() -> None:
    """kombu keeps the filesystem transport's bindings per process; each test has new folders."""
    broker.Transport.global_state.clear()


def _options(folder: Path) -> dict:
    for name in ("queue", "processed", "control"):
        (folder / name).mkdir(exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
        "control_folder": str(folder / "control"),
    }


def _publish(options: dict, body: str = BODY) -> None:
    with Connection("filesystem://", transport=broker.Transport, transport_options=options) as c:
        queue = c.SimpleQueue("tasks")
        for number in range(MESSAGES):
            queue.put({"number": number, "body": body})


def _consume(options: dict, count: int) -> list[int]:
    received = []
    with Connection("filesystem://", transport=broker.Transport, transport_options=options) as c:
        queue = c.SimpleQueue("tasks")
        while len(received) < count:
            message = queue.get(timeout=30)
            received.append(message.payload["number"])
            message.ack()
    return received


def test_a_consumer_polling_while_another_process_publishes_gets_every_message_whole(
    tmp_path: Path,
) -> None:
    options = _options(tmp_path)
    publisher = multiprocessing.get_context("spawn").Process(target=_publish, args=(options,))
    publisher.start()
    try:
        received = _consume(options, MESSAGES)
    finally:
        publisher.join(timeout=60)
    assert sorted(received) == list(range(MESSAGES))


def test_two_consumers_never_get_the_same_message(tmp_path: Path) -> None:
    options = _options(tmp_path)
    _publish(options, body="small")
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        halves = pool.starmap(_consume, [(options, MESSAGES // 2)] * 2)
    assert sorted(halves[0] + halves[1]) == list(range(MESSAGES))


def test_nothing_is_left_behind_once_every_message_is_taken(tmp_path: Path) -> None:
    options = _options(tmp_path)
    _publish(options, body="small")
    _consume(options, MESSAGES)
    assert list((tmp_path / "queue").iterdir()) == []
    assert list((tmp_path / "processed").iterdir()) == []
