"""Full-text search for products, in Chinese, pinyin and English: one module for both databases.

PostgreSQL's parser does not segment Chinese, so the terms are made here, in Python, and
handed to it as space-separated words:

- every Chinese character and every pair of neighbouring characters (as Lucene's CJK
  analyser does), so a query that matched before still matches;
- the words jieba finds in search mode (马克杯, 双肩包), so a query of whole words matches
  however the title strings them together;
- for titles, categories and shop names, the full pinyin and the initials of every word
  and run (咖啡 → kafei, kf), so shoppers can type Latin letters;
- English words as they are: PostgreSQL's `english` stemmer folds bag/bags;
- the broader words and synonyms operators keep in `SearchSynonym` (a text with 马克杯 is
  also indexed under 杯子), so editing them re-indexes the products they touch.

A query is a conjunction of its Latin words, each widened by the closest words of the
shop's lexicon (`SearchWord`, trigram similarity: cofee → coffee), and of its Chinese runs,
each matched by its character pairs, its jieba words or its pinyin.

PostgreSQL ranks with `ts_rank` over weighted vectors (title A, category and shop B,
description C). SQLite, the zero-config default, stores the same terms in
`Product.search_document` (and the title's in `search_title`) and matches them with LIKE;
it ranks products whose title matches the whole query first.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When

CONFIG = "english"
_CJK_CHARS = r"\u3400-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK_CHARS}]+|[^\W_{_CJK_CHARS}]+")
_CJK = re.compile(rf"[{_CJK_CHARS}]")
_SEPARATORS = re.compile(r"[,，、;；\n]+")

TYPO_MIN_LENGTH = 4
"""Latin words shorter than this are never corrected (too few trigrams to compare)."""
TYPO_SIMILARITY = 0.28
"""Trigram similarity from which a lexicon word counts as what was meant: moug ~ mug is 0.29,
moug ~ moli (茉莉) 0.25 and moug ~ mountain 0.27 are not."""
TYPO_CHOICES = 3
"""Corrections tried per misspelt word."""
LEXICON_MIN_LENGTH = 3


@cache
def _segmenter():  # -> jieba.Tokenizer
    """jieba, with its dictionary loaded: once per process, on first use.

    Importing jieba and building its prefix dictionary takes over a second, so it is
    deferred until a text is segmented (not a cycle: web, worker and test processes that
    never index or search start without paying for it).
    """
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def warm_up() -> None:
    """Load jieba's dictionary and pypinyin's tables now rather than on the first search.

    The web server calls it once when it loads the application (shop/wsgi.py): with
    gunicorn's preload_app the master loads them before it forks, so every worker, and
    each one that max_requests replaces, starts with them (shared), and no shopper's
    search waits seconds for a dictionary.
    """
    _segmenter()
    _pinyin()


@cache
def _pinyin():  # -> tuple of pypinyin's lazy_pinyin and its initials style
    """pypinyin, imported on first use for the same reason (its tables take half a second)."""
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin, Style.FIRST_LETTER


def runs(text: str) -> list[str]:
    """Lower-cased runs of Chinese characters and of other letters and digits."""
    return _TOKEN.findall(text.lower())


def is_chinese(run: str) -> bool:
    return bool(_CJK.match(run))


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


WORD_CACHE_SIZE = 100_000
"""Runs and words remembered per process: a catalogue repeats them, and pinyin is most of
the cost of indexing (the demo titles: ten times faster with the cache)."""


@lru_cache(maxsize=WORD_CACHE_SIZE)
def segment(run: str) -> tuple[str, ...]:
    """jieba's search-mode words of a Chinese run (马克杯 → 马克, 马克杯)."""
    return tuple(word for word in _segmenter().cut_for_search(run) if word.strip())


@lru_cache(maxsize=WORD_CACHE_SIZE)
def pinyin_terms(word: str) -> tuple[str, str]:
    """Full pinyin and initials of a Chinese word: 咖啡 → kafei, kf."""
    lazy_pinyin, initials = _pinyin()
    return "".join(lazy_pinyin(word)), "".join(lazy_pinyin(word, style=initials))


def light_stem(word: str) -> str:
    """SQLite's stand-in for the `english` stemmer: plurals only (bags, boxes, candies)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us")):
        return word[:-1]
    return word


def text_terms(text: str, *, pinyin: bool = False) -> list[str]:
    """Index side: words, Chinese characters, pairs and jieba words, and pinyin if asked."""
    terms: list[str] = []
    for run in runs(text):
        if not is_chinese(run):
            terms.append(run)
            continue
        words = segment(run) if len(run) > 1 else ()
        terms.extend(run)
        terms.extend(_bigrams(run))
        terms.extend(word for word in words if len(word) > 2)
        if pinyin:
            for word in dict.fromkeys([run, *words]):
                if len(word) > 1:
                    terms.extend(pinyin_terms(word))
    return terms


def document_terms(text: str) -> str:
    """The index terms of a text, space-separated (no pinyin: that is for names)."""
    return " ".join(text_terms(text))


# --- Synonyms and broader words -------------------------------------------------------------


@dataclass(frozen=True)
class Expansion:
    """One operator rule: texts with any of `finds` are also indexed under `adds`."""

    finds: tuple[str, ...]
    adds: tuple[str, ...]


def split_words(text: str) -> list[str]:
    """The words of an admin field: separated by commas (, or ，), 、, semicolons or lines."""
    return [word.strip().lower() for word in _SEPARATORS.split(text) if word.strip()]


def expansions(*, term: str, alternatives: str, symmetric: bool) -> list[Expansion]:
    """A hypernym rule adds the broader `term` to texts with a narrower word; a synonym rule
    makes every word of the group find every other."""
    narrower = split_words(alternatives)
    term = term.strip().lower()
    if not symmetric:
        return [Expansion(tuple(narrower), (term,))]
    group = [term, *narrower]
    return [Expansion((word,), tuple(w for w in group if w != word)) for word in group]


def _occurs(word: str, text: str, latin: set[str]) -> bool:
    if is_chinese(word):
        return word in text
    return all(light_stem(part) in latin for part in runs(word))


def expanded_terms(text: str, rules: Sequence[Expansion], *, pinyin: bool = False) -> list[str]:
    """`text_terms(text)` plus the terms of every word the rules add to it."""
    lowered = text.lower()
    latin = {light_stem(run) for run in runs(lowered) if not is_chinese(run)}
    terms = text_terms(text, pinyin=pinyin)
    for rule in rules:
        if any(_occurs(word, lowered, latin) for word in rule.finds):
            for word in rule.adds:
                terms.extend(text_terms(word, pinyin=pinyin))
    return terms


def rule_words(rules: Iterable[Expansion]) -> set[str]:
    return {word for rule in rules for word in (*rule.finds, *rule.adds)}


# --- The index ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    """A product's terms by weight: title (A), category and shop (B), description (C)."""

    title: list[str]
    names: list[str]
    body: list[str]

    def stored(self) -> str:
        """`Product.search_document`: every term once, Latin ones lightly stemmed, padded
        with spaces so SQLite can match whole terms with LIKE '% term %'."""
        return _stored((*self.title, *self.names, *self.body))

    def stored_title(self) -> str:
        """`Product.search_title`: the title's terms alone, for SQLite's ranking."""
        return _stored(self.title)


def _stored(terms: Iterable[str]) -> str:
    unique = dict.fromkeys(term if is_chinese(term) else light_stem(term) for term in terms)
    return f" {' '.join(unique)} "


def lexicon_words(text: str) -> set[str]:
    """What typo correction compares query words with: the Latin words of a title or name
    and the full pinyin of its Chinese words (not initials: too short to compare)."""
    words: set[str] = set()
    for run in runs(text):
        if is_chinese(run):
            words.update(pinyin_terms(word)[0] for word in segment(run) if len(word) > 1)
        elif len(run) >= LEXICON_MIN_LENGTH and not run.isdigit():
            words.add(run)
    return words


def uses_full_text() -> bool:
    return connection.vendor == "postgresql"


# --- Queries --------------------------------------------------------------------------------


def latin_words(text: str) -> list[str]:
    """The query's Latin words that may be misspelt (long enough, not numbers)."""
    return [
        run
        for run in dict.fromkeys(runs(text))
        if not is_chinese(run) and len(run) >= TYPO_MIN_LENGTH and not run.isdigit()
    ]


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word (two spaces before, one after), for SQLite."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """pg_trgm's `similarity` for single words, in Python (SQLite has no pg_trgm)."""
    left, right = trigrams(a), trigrams(b)
    return len(left & right) / len(left | right) if left or right else 0.0


def query_groups(text: str, corrections: dict[str, list[str]]) -> list[list[list[str]]]:
    """The query as a conjunction of groups; a group is any of its alternatives, and an
    alternative is all of its terms.

    A Latin word: itself or one of its corrections. A Chinese run: all its pairs (or the
    lone character), or all its jieba words, or its pinyin (a homophone typed by mistake).
    """
    groups: list[list[list[str]]] = []
    for run in dict.fromkeys(runs(text)):
        if not is_chinese(run):
            groups.append([[run], *([word] for word in corrections.get(run, []))])
        elif len(run) == 1:
            groups.append([[run]])
        else:
            words = list(segment(run))
            options = [_bigrams(run), list(pinyin_terms(run)[:1])]
            if any(len(word) > 1 for word in words):  # 豆咖 is no word: its characters are not
                options.insert(1, words)
            groups.append([list(dict.fromkeys(o)) for o in dict.fromkeys(map(tuple, options))])
    return groups


def _lexeme(term: str) -> str:
    # Terms are runs of letters and digits (see _TOKEN): nothing to escape but the quotes.
    return f"'{term}'"


def tsquery(groups: list[list[list[str]]], *, prefix: bool = False) -> str:
    """The groups in `to_tsquery` syntax; `prefix` lets the last Latin word be unfinished."""
    parts = []
    for n, group in enumerate(groups):
        alternatives = []
        for option in group:
            lexemes = [_lexeme(term) for term in option]
            if prefix and n == len(groups) - 1 and not is_chinese(option[-1]):
                lexemes[-1] += ":*"
            alternatives.append("(" + " & ".join(lexemes) + ")")
        parts.append("(" + " | ".join(alternatives) + ")")
    return " & ".join(parts)


def _document_q(
    groups: list[list[list[str]]], *, prefix: bool = False, field: str = "search_document"
) -> Q:
    condition = Q()
    for n, group in enumerate(groups):
        either = Q()
        for option in group:
            both = Q()
            for term in option:
                stem = term if is_chinese(term) else light_stem(term)
                if prefix and n == len(groups) - 1 and not is_chinese(term):
                    both &= Q(**{f"{field}__contains": f" {stem}"})
                else:
                    both &= Q(**{f"{field}__contains": f" {stem} "})
            either |= both
        condition &= either
    return condition


def filter_by_query(
    queryset: QuerySet,
    text: str,
    *,
    corrections: dict[str, list[str]] | None = None,
    prefix: bool = False,
) -> QuerySet:
    """Products matching `text`, annotated with `rank` (higher is better).

    `corrections` are the lexicon's words for misspelt Latin words (see
    `selectors.search_corrections`); without them the query is matched as typed.
    """
    groups = query_groups(text, corrections or {})
    if not groups:
        return queryset.none().annotate(rank=Value(0.0))
    if uses_full_text():
        query = SearchQuery(tsquery(groups, prefix=prefix), config=CONFIG, search_type="raw")
        return queryset.filter(search_vector=query).annotate(
            rank=SearchRank(F("search_vector"), query)
        )
    in_title = _document_q(groups, prefix=prefix, field="search_title")
    return queryset.filter(_document_q(groups, prefix=prefix)).annotate(
        rank=Case(When(in_title, then=Value(1.0)), default=Value(0.0), output_field=FloatField())
    )
