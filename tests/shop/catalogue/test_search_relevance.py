"""Search measured on the demo catalogue against the relevance set in search_relevance.toml.

recall@10: of the products a query must find (at most ten), the share among its first ten
results. MRR: the mean of 1 / the position of the first product it must find.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import transaction

from shop.catalogue import selectors
from shop.demo import services as demo
from tests.search import ensure_default_synonyms

pytestmark = pytest.mark.django_db  # the module fixture needs the test database set up

SET = tomllib.loads((Path(__file__).parent / "search_relevance.toml").read_text())["query"]
DEMO_PRODUCTS = 200
KINDS = {"chinese", "pinyin", "english", "brand", "typo", "not"}


@dataclass(frozen=True)
class Hit:
    pk: int
    text: str  # title and English title, lower-cased
    shop: str


def _relevant(entry: dict, hit: Hit) -> bool:
    if "shop" in entry:
        return hit.shop == entry["shop"]
    return any(word.lower() in hit.text for word in entry.get("finds", []))


@pytest.fixture(scope="module")
def runs(django_db_setup: None, django_db_blocker: object) -> dict[str, tuple[list[Hit], set]]:
    """Each query's results and the ids it must find, on a demo catalogue seeded once
    (in a transaction rolled back afterwards)."""
    found: dict[str, tuple[list[Hit], set]] = {}
    with django_db_blocker.unblock(), transaction.atomic():  # type: ignore[attr-defined]
        ensure_default_synonyms()
        categories, _ = demo.seed_categories()
        merchants, _ = demo.seed_merchants()
        demo.seed_products(DEMO_PRODUCTS, categories, merchants)
        catalogue = [
            Hit(p.pk, f"{p.title} {p.title_en}".lower(), p.merchant.slug)
            for p in selectors.product_visible().select_related("merchant")
        ]
        for entry in SET:
            results = [
                Hit(p.pk, f"{p.title} {p.title_en}".lower(), p.merchant.slug)
                for p in selectors.product_listing(query=entry["q"])
            ]
            found[entry["q"]] = (results, {h.pk for h in catalogue if _relevant(entry, h)})
        transaction.set_rollback(True)
    return found


def _judged() -> list[dict]:
    return [entry for entry in SET if "finds" in entry or "shop" in entry]


def test_the_set_has_at_least_60_queries_of_every_kind() -> None:
    assert len(SET) >= 60
    assert {entry["kind"] for entry in SET} == KINDS
    assert len({entry["q"] for entry in SET}) == len(SET)


def test_every_judged_query_has_products_to_find_in_the_demo_catalogue(runs) -> None:
    assert [entry["q"] for entry in _judged() if not runs[entry["q"]][1]] == []


def test_recall_at_10_is_at_least_95_percent(runs) -> None:
    recalls = {}
    for entry in _judged():
        results, relevant = runs[entry["q"]]
        top = {hit.pk for hit in results[:10]}
        recalls[entry["q"]] = len(top & relevant) / min(len(relevant), 10)
    recall = sum(recalls.values()) / len(recalls)
    print(f"\nrecall@10 = {recall:.3f} over {len(recalls)} queries")
    assert recall >= 0.95, {q: r for q, r in recalls.items() if r < 1}


def test_mean_reciprocal_rank_is_at_least_90_percent(runs) -> None:
    ranks = {}
    for entry in _judged():
        results, relevant = runs[entry["q"]]
        first = next((n for n, hit in enumerate(results, 1) if hit.pk in relevant), None)
        ranks[entry["q"]] = 1 / first if first else 0.0
    mrr = sum(ranks.values()) / len(ranks)
    print(f"\nMRR = {mrr:.3f} over {len(ranks)} queries")
    assert mrr >= 0.9, {q: r for q, r in ranks.items() if r < 1}


@pytest.mark.parametrize("query", [entry["q"] for entry in SET if entry.get("top5")])
def test_everyday_queries_find_their_products_in_the_top_5(runs, query: str) -> None:
    results, relevant = runs[query]
    top = [hit.text for hit in results[:5]]
    assert sum(hit.pk in relevant for hit in results[:5]) == min(len(relevant), 5), top


@pytest.mark.parametrize("entry", [e for e in SET if "not" in e], ids=lambda e: e["q"])
def test_no_result_has_a_word_the_query_must_not_match(runs, entry: dict) -> None:
    results, _ = runs[entry["q"]]
    wrong = [h.text for h in results if any(w.lower() in h.text for w in entry["not"])]
    assert wrong == []


@pytest.mark.parametrize("query", [e["q"] for e in SET if e["kind"] == "not"])
def test_words_that_match_nothing_find_nothing(runs, query: str) -> None:
    assert runs[query][0] == []
