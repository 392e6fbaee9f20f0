"""The README's bare `make run`: no DATABASE_URL or CELERY_BROKER_URL, so SQLite and the
file broker, both in a VAR_DIR of the test's (the developer's var/ stays untouched).
Web, worker and beat share the SQLite file; a partner's unclaimed gift must still expire
and be refunded, and the books must still reconcile."""

from .partner_api import assert_an_unclaimed_gift_is_refunded
from .stack import Stack, assert_reconciled_and_quiet, assert_the_project_is_untouched


def test_a_partner_gift_nobody_claims_is_expired_and_refunded_to_the_balance(
    sqlite_stack: Stack,
) -> None:
    assert_an_unclaimed_gift_is_refunded(sqlite_stack)


def test_the_books_reconcile_and_no_process_logged_an_error(sqlite_stack: Stack) -> None:
    assert_reconciled_and_quiet(sqlite_stack)


def test_the_stack_kept_to_its_own_env_file_and_var_dir(sqlite_stack: Stack) -> None:
    assert_the_project_is_untouched(sqlite_stack)
