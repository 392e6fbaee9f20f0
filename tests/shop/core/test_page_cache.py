"""Values every page reads: cached with the pages' generation, and kept unpickled in
each process while their cached entry stays the same."""

from shop.core import page_cache


class Computed:
    """A compute function that counts its calls and returns a fresh list each time."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> list[int]:
        self.calls += 1
        return [self.calls]


def test_a_kept_value_is_the_same_object_while_its_entry_is_unchanged() -> None:
    compute = Computed()
    first = page_cache.generational("test:kept", compute, 60, keep_in_process=True)
    again = page_cache.generational("test:kept", compute, 60, keep_in_process=True)
    assert again is first
    assert compute.calls == 1


def test_a_kept_value_is_computed_again_once_forgotten() -> None:
    compute = Computed()
    page_cache.generational("test:kept", compute, 60, keep_in_process=True)
    page_cache.forget("test:kept")
    assert page_cache.generational("test:kept", compute, 60, keep_in_process=True) == [2]


def test_a_kept_value_is_computed_again_after_a_takedown() -> None:
    compute = Computed()
    page_cache.generational("test:kept", compute, 60, keep_in_process=True)
    page_cache.invalidate_all()
    assert page_cache.generational("test:kept", compute, 60, keep_in_process=True) == [2]


def test_another_process_entry_replaces_the_kept_copy() -> None:
    """Another process stored a newer value: this one unpickles it instead of keeping its own."""
    page_cache.generational("test:kept", lambda: ["mine"], 60, keep_in_process=True)
    page_cache.forget("test:kept")
    page_cache._in_process.pop("test:kept:kept")
    page_cache.generational("test:kept", lambda: ["theirs"], 60, keep_in_process=True)
    page_cache._in_process["test:kept:kept"] = ("stale", "stale", ["mine"])
    assert page_cache.generational("test:kept", Computed(), 60, keep_in_process=True) == ["theirs"]


def test_a_plain_and_a_kept_entry_of_one_key_do_not_mix() -> None:
    page_cache.generational("test:both", lambda: "plain", 60)
    kept = page_cache.generational("test:both", lambda: ["kept"], 60, keep_in_process=True)
    assert kept == ["kept"]
    assert page_cache.generational("test:both", lambda: "recomputed", 60) == "plain"
