"""The system stage's reading of `make run`'s output: what counts as a problem, and how a
problem repeated by every sweep is reported once."""

from .stack import problems

SWEEP_FAILING = """\
15:43:37 worker.1 | 2026-12-02 15:43:37,766 ERROR [task-194911c1-9d5e-40cd-85a3-44f90b8e4e62] celery.app.trace Task expire[194911c1-9d5e-40cd-85a3-44f90b8e4e62] raised unexpected: IntegrityError('null payment_id\\nDETAIL:  Failing row contains (1, gift:1483).')
15:43:37 worker.1 | Traceback (most recent call last):
15:43:37 worker.1 |   File "/srv/gifting/services.py", line 354, in gifts_expire_due
15:43:37 web.1    | [02/Dec/2026 15:43:37] "GET /readyz HTTP/1.1" 200 91
15:43:37 worker.1 |     created = Refund.objects.bulk_create(refunds)
15:43:37 worker.1 | psycopg.errors.NotNullViolation: null value in column "payment_id"
15:43:37 worker.1 | DETAIL:  Failing row contains (1, gift:1483).
15:43:37 worker.1 |
15:43:37 worker.1 | The above exception was the direct cause of the following exception:
15:43:37 worker.1 |
15:43:37 worker.1 | Traceback (most recent call last):
15:43:37 worker.1 |   File "/srv/celery/app/trace.py", line 564, in trace_task
15:43:37 worker.1 | django.db.utils.IntegrityError: null value in column "payment_id"
"""


def test_a_traceback_is_reported_by_its_exception_lines_and_the_error_line_beside_it() -> None:
    assert problems(SWEEP_FAILING) == [
        "worker.1: … ERROR [task-…] celery.app.trace Task expire[…] raised unexpected: "
        "IntegrityError('null payment_id …",
        'worker.1: traceback: psycopg.errors.NotNullViolation: null value in column "payment_id"',
        'worker.1: traceback: django.db.utils.IntegrityError: null value in column "payment_id"',
    ]


def test_a_problem_each_sweep_repeats_is_listed_once_with_its_count() -> None:
    second_sweep = (
        SWEEP_FAILING.replace("15:43:37", "15:43:40")
        .replace("194911c1", "f91011ba")
        .replace("(1, gift:1483)", "(2, gift:1483)")
    )
    assert [line.rsplit(" (", 1)[-1] for line in problems(SWEEP_FAILING + second_sweep)] == [
        "×2)",
        "×2)",
        "×2)",
    ]


def test_a_process_that_stopped_and_a_server_error_are_problems_and_warnings_are_not() -> None:
    output = """\
Applying sessions.0001_initial... OK
15:44:02 web.1    | 2026-12-02 15:44:02,100 WARNING [abc] django.request Not Found: /nothing/
15:44:03 web.1    | 2026-12-02 15:44:03,100 ERROR [abc] django.request Internal Server Error: /cart/
15:44:04 system   | web.1 stopped (rc=1)
15:44:04 beat.1   | 2026-12-02 15:44:04,604 INFO [-] celery.beat Scheduler: Sending due task
"""
    assert problems(output) == [
        "web.1: … ERROR [abc] django.request Internal Server Error: /cart/",
        "system: web.1 stopped (rc=1)",
    ]


def test_quiet_output_has_no_problems() -> None:
    assert problems("15:43:35 worker.1 | celery@vm ready.\nCreated 7 occasions\n") == []
