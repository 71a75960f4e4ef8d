"""The name search's pure parts: the tokenizer (Unicode, Korean names, punctuation), the prefixes a product is
filed under, the query planner and the match rule; and GET /products refusing bad search parameters."""

from __future__ import annotations

import pytest

from buynest.core.errors import InvalidInput
from buynest.products.search import (
    ALL,
    MAX_PREFIX,
    Indexed,
    SearchSort,
    category_term,
    plan,
    prefixes,
    word_term,
    words,
)
from buynest.products.service import ProductService
from tests.conftest import api_event, call, load_handler

list_ = load_handler("products/list_products")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ceramic mug", ["ceramic", "mug"]),
        ("CERAMIC  Mug mug", ["ceramic", "mug"]),
        ("Hand-thrown mug, 350ml!", ["hand", "thrown", "mug", "350ml"]),
        ("tea_pot/cup.set", ["tea", "pot", "cup", "set"]),
        ("Straße", ["strasse"]),
        ("\uff21\uff22\uff23\u3000\uff11\uff12\uff13", ["abc", "123"]),  # full-width "ABC 123" (NFKC)
        ("Café crème", ["café", "crème"]),
        ("Cafe\u0301", ["café"]),  # a combining accent composes (NFKC)
        ("도자기 머그잔 (화이트)", ["도자기", "머그잔", "화이트"]),
        ("제주 녹차·말차", ["제주", "녹차", "말차"]),
        ("!!! ... ---", []),
    ],
)
def test_words_are_normalised_folded_and_split_on_punctuation(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_prefixes_of_every_word_up_to_the_cap() -> None:
    assert prefixes("Mug mugs") == {"m", "mu", "mug", "mugs"}
    assert prefixes("머그잔") == {"머", "머그", "머그잔"}
    long = "a" * 30
    assert max(len(p) for p in prefixes(long)) == MAX_PREFIX


def test_a_product_is_filed_under_its_prefixes_its_category_and_the_catalog() -> None:
    product = Indexed("P1", "Blue mug", 1200, "cups", "2026-11-27T10:00:00Z", "v")
    assert product.terms() == {ALL, category_term("cups"), *(word_term(p) for p in ["b", "bl", "blu", "blue"])} | {
        word_term(p) for p in ["m", "mu", "mug"]
    }
    assert product.price_key() == "0000000001200#P1"
    assert product.newest_key() == "2026-11-27T10:00:00Z#P1"


def test_the_planner_reads_the_longest_words_postings() -> None:
    query = plan("cer MUG ceramics", None, SearchSort.NEWEST)
    assert query.partition == word_term("ceramics")
    assert query.words == ("cer", "mug", "ceramics")
    assert plan("x" * 40, None, SearchSort.NEWEST).partition == word_term("x" * MAX_PREFIX)
    assert plan(None, "cups", SearchSort.PRICE_ASC).partition == category_term("cups")
    assert plan(None, None, SearchSort.PRICE_DESC).partition == ALL
    assert plan("mug", "cups", SearchSort.NEWEST).category == "cups"


def test_the_order_of_each_sort() -> None:
    assert plan(None, None, SearchSort.PRICE_ASC).descending is False
    assert plan(None, None, SearchSort.PRICE_DESC).descending is True
    assert plan(None, None, SearchSort.NEWEST).descending is True


@pytest.mark.parametrize(
    ("q", "name", "category", "hit"),
    [
        ("cer mu", "Ceramic mug", "kitchen", True),
        ("MUG cer", "Ceramic mug", "kitchen", True),
        ("mug", "Ceramic mugs", "kitchen", True),
        ("ramic", "Ceramic mug", "kitchen", False),  # a word matches by its beginning only
        ("cer cup", "Ceramic mug", "kitchen", False),  # every word must match
        ("머그", "도자기 머그잔", "kitchen", True),
        ("도자 머", "도자기 머그잔", "kitchen", True),
        ("그잔", "도자기 머그잔", "kitchen", False),
        ("mug", "Ceramic mug", "cups", False),  # the category asked for
    ],
)
def test_match_rule(q: str, name: str, category: str, hit: bool) -> None:
    assert plan(q, "kitchen", SearchSort.NEWEST).matches(name, category) is hit


def test_a_query_without_letters_or_digits_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"^q: "):
        plan(" -!- ", None, SearchSort.NEWEST)
    with pytest.raises(InvalidInput, match=r"^q: "):
        plan(" ".join(f"w{i}" for i in range(11)), None, SearchSort.NEWEST)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"q": ""}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"q": "..."}, "q"),
        ({"sort": "cheapest"}, "sort"),
        ({"sort": ""}, "sort"),
        ({"q": "mug", "limit": "0"}, "limit"),
    ],
)
def test_list_refuses_bad_search_parameters(products: ProductService, query: dict[str, str], field: str) -> None:
    status, body = call(list_, api_event("GET", "/products", query=query))
    assert status == 400 and body["error"]["code"] == "VALIDATION_ERROR"
    assert body["error"]["message"].startswith(field)
