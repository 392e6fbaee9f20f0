"""Full-text search for products, in Chinese and English.

PostgreSQL's parser does not segment Chinese, so text is indexed the way Lucene's
CJK analyser does it: every Chinese character and every pair of neighbouring characters
becomes a token. A query of one character matches the single-character tokens, a longer
one must match all its pairs; English words go through the `english` stemmer (bag/bags).
This needs no dictionary and no database extension. SQLite (the zero-config default)
falls back to substring matching.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import F, Q, QuerySet, Value

CONFIG = "english"
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\W_\u3400-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def document_terms(text: str) -> str:
    """Index side: words, Chinese characters and Chinese character pairs."""
    terms: list[str] = []
    for run in _TOKEN.findall(text.lower()):
        if _CJK.match(run):
            terms.extend(run)
            terms.extend(_bigrams(run))
        else:
            terms.append(run)
    return " ".join(terms)


def query_terms(text: str) -> list[str]:
    """Query side: words, and for Chinese the pairs (or the lone character)."""
    terms: list[str] = []
    for run in _TOKEN.findall(text.lower()):
        if _CJK.match(run):
            terms.extend(_bigrams(run) if len(run) > 1 else [run])
        else:
            terms.append(run)
    return terms


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


def vector_for(*, title: str, body: str) -> SearchVector:
    return SearchVector(Value(document_terms(title)), weight="A", config=CONFIG) + SearchVector(
        Value(document_terms(body)), weight="B", config=CONFIG
    )


def filter_by_query(queryset: QuerySet, text: str) -> QuerySet:
    """Products matching every term of `text`, best matches first on PostgreSQL."""
    terms = query_terms(text)
    if not terms:
        return queryset.none().annotate(rank=Value(0.0))
    if uses_full_text():
        query = SearchQuery(" ".join(terms), config=CONFIG, search_type="plain")
        return queryset.filter(search_vector=query).annotate(
            rank=SearchRank(F("search_vector"), query)
        )
    condition = Q()
    for term in text.split():
        condition &= (
            Q(title__icontains=term)
            | Q(title_en__icontains=term)
            | Q(description__icontains=term)
            | Q(description_en__icontains=term)
        )
    return queryset.filter(condition)
