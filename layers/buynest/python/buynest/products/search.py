"""Search of product names, in plain Python: the tokenizer, the postings a product is filed under, the query
planner and the rule that says whether a product matches a query.

DynamoDB has no full-text search, so the catalog keeps its own word-prefix index (``search_store``): a product is
filed under every prefix (up to ``MAX_PREFIX`` characters) of every word of its name, under its category and under
the whole catalog. A query reads one partition of that index, in the order asked for: the postings of its longest
word's prefix (the most selective one), filtered by its other words and the category; without ``q``, the
category's or the catalog's postings. What a query reads is bounded by the postings of its words, never by the
size of the catalog.

Words: NFKC-normalised, case-folded runs of letters and digits (Unicode-aware: Hangul, accented Latin, ...);
anything else (punctuation, spaces, ``_``) separates words. A query word matches a name word that begins with it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from buynest.core.errors import InvalidInput

MAX_PREFIX = 20
MAX_QUERY_WORDS = 10
PRICE_DIGITS = 13  # MAX_PRICE (10**12) fits
ALL = "all"
_WORD = re.compile(r"[^\W_]+")


class SearchSort(StrEnum):
    NEWEST = "newest"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"


def words(text: str) -> list[str]:
    """The distinct words of ``text`` in order of appearance, normalised (NFKC) and case-folded."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return list(dict.fromkeys(_WORD.findall(folded)))


def prefixes(name: str) -> frozenset[str]:
    """Every prefix of 1..MAX_PREFIX characters of every word of ``name``: what a query word can match."""
    return frozenset(word[:n] for word in words(name) for n in range(1, min(len(word), MAX_PREFIX) + 1))


def word_term(prefix: str) -> str:
    return f"w#{prefix}"


def category_term(category: str) -> str:
    return f"c#{category}"


@dataclass(frozen=True)
class Indexed:
    """What the index knows of a product: enough to file it, sort it and filter it. ``version`` is the product's
    ``updatedAt``: an image older than the one indexed changes nothing."""

    product_id: str
    name: str
    price: int
    category: str
    created_at: str
    version: str

    def terms(self) -> frozenset[str]:
        """The index partitions this product is filed under."""
        return frozenset({ALL, category_term(self.category), *(word_term(p) for p in prefixes(self.name))})

    def fingerprint(self) -> tuple[str, int, str, str]:
        """The fields the index holds: a change of anything else (stock, images, description) needs no write."""
        return (self.name, self.price, self.category, self.created_at)

    def newest_key(self) -> str:
        return f"{self.created_at}#{self.product_id}"

    def price_key(self) -> str:
        return f"{self.price:0{PRICE_DIGITS}d}#{self.product_id}"


@dataclass(frozen=True)
class SearchPlan:
    """One partition to read in one order, and the filter its postings must pass."""

    partition: str
    sort: SearchSort
    words: tuple[str, ...] = ()
    category: str | None = None
    exact: bool = True  # every posting of the partition matches: no filter, read a page and one more

    @property
    def descending(self) -> bool:
        return self.sort != SearchSort.PRICE_ASC

    def matches(self, name: str, category: str) -> bool:
        """Every query word begins some word of ``name``, and the category is the one asked for (if any)."""
        if self.category is not None and category != self.category:
            return False
        name_words = words(name)
        return all(any(w.startswith(q) for w in name_words) for q in self.words)


def plan(q: str | None, category: str | None, sort: SearchSort) -> SearchPlan:
    """The cheapest partition for a query: the postings of its longest word (truncated to ``MAX_PREFIX``), then
    the category's, then the whole catalog's. A ``q`` without a letter or digit is refused (400 naming ``q``)."""
    if q is None:
        return SearchPlan(category_term(category) if category else ALL, sort)
    query_words = words(q)
    if not query_words:
        raise InvalidInput("q: must contain at least one letter or digit")
    if len(query_words) > MAX_QUERY_WORDS:
        raise InvalidInput(f"q: at most {MAX_QUERY_WORDS} words")
    lead = max(query_words, key=len)
    exact = category is None and len(query_words) == 1 and len(lead) <= MAX_PREFIX
    return SearchPlan(word_term(lead[:MAX_PREFIX]), sort, tuple(query_words), category, exact)
