"""The name index on moto: the products table's real stream records fed to the consumer (create, rename, delete,
duplicates, out of order), and searches through the products service as GET /products runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from buynest.core.errors import InvalidInput
from buynest.products.runtime import set_name_indexer, set_product_service
from buynest.products.search import SearchSort
from buynest.products.search_store import DynamoSearchIndex
from buynest.products.service import ProductService
from buynest.products.store import DynamoProductRepository
from tests.conftest import FakeContext, load_handler

index_names = load_handler("products/index_names")


@dataclass
class Env:
    ddb: Any
    products_table: str
    search_table: str
    service: ProductService
    seen: int = 0

    def records(self) -> list[dict[str, Any]]:
        """Every record of the products table's stream so far, oldest first, as Lambda receives them."""
        arn = self.ddb.describe_table(TableName=self.products_table)["Table"]["LatestStreamArn"]
        streams = boto3.client("dynamodbstreams", region_name="us-east-1")
        out: list[dict[str, Any]] = []
        for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            iterator = streams.get_shard_iterator(
                StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            out += streams.get_records(ShardIterator=iterator)["Records"]
        return json.loads(json.dumps(out, default=str))

    def feed(self, records: list[dict[str, Any]]) -> None:
        assert index_names.handler({"Records": records}, FakeContext()) == {"batchItemFailures": []}

    def feed_new(self) -> list[dict[str, Any]]:
        """Hand the consumer the records it has not seen yet (as the event source mapping does)."""
        records = self.records()
        new, self.seen = records[self.seen :], len(records)
        self.feed(new)
        return new

    def names(self, q: str | None = None, category: str | None = None, sort: str = "newest") -> list[str]:
        products, _ = self.service.list(category, 100, None, q, SearchSort(sort))
        return [p.name for p in products]

    def index_items(self) -> list[dict[str, Any]]:
        return sorted(self.ddb.scan(TableName=self.search_table)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


@pytest.fixture
def env(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    tables = aws["tables"]
    monkeypatch.setenv("SEARCH_TABLE", tables["SearchIndexTable"])
    service = ProductService(
        DynamoProductRepository(tables["ProductsTable"]), search=DynamoSearchIndex(tables["SearchIndexTable"])
    )
    set_product_service(service)
    set_name_indexer(None)
    yield Env(aws["ddb"], tables["ProductsTable"], tables["SearchIndexTable"], service)
    set_name_indexer(None)


def add(env: Env, name: str, price: int = 1000, category: str = "kitchen") -> str:
    return env.service.create(name, "", price, 5, category).product_id


def test_create_rename_and_delete_move_a_product_between_words(env: Env) -> None:
    mug = add(env, "Ceramic mug", 18000)
    add(env, "Glass teapot", 30000, "tea")
    env.feed_new()
    assert env.names("cer mu") == ["Ceramic mug"]
    assert env.names("MUG") == ["Ceramic mug"]
    assert env.names("te") == ["Glass teapot"]

    env.service.update(mug, {"name": "Stoneware cup"})
    env.feed_new()
    assert env.names("mug") == []
    assert env.names("stone cu") == ["Stoneware cup"]

    env.service.delete(mug)
    env.feed_new()
    assert env.names("stone") == []
    left = {i["sk"]["S"] for i in env.index_items() if i["pk"]["S"] != f"p#{mug}"}
    assert mug not in left, "a deleted product keeps no posting"


def test_stock_changes_write_nothing_to_the_index(env: Env) -> None:
    """Guards: a MODIFY of fields the index does not hold (stock, images) must not rewrite postings."""
    mug = add(env, "Ceramic mug")
    env.feed_new()
    before = env.index_items()
    env.service.update(mug, {"stock": 1, "description": "new"})
    env.feed_new()
    assert env.index_items() == before


def test_a_record_handled_twice_changes_nothing(env: Env) -> None:
    mug = add(env, "Ceramic mug")
    env.service.update(mug, {"name": "Ceramic bowl"})
    records = env.feed_new()
    after_once = env.index_items()
    env.feed(records)
    env.feed(records[-1:])
    assert env.index_items() == after_once
    assert env.names("bowl") == ["Ceramic bowl"] and env.names("mug") == []


def test_an_older_image_after_a_newer_one_changes_nothing(env: Env) -> None:
    """Guards out-of-order delivery: the create (old name) handled after the rename, in the same second."""
    mug = add(env, "Ceramic mug")
    env.service.update(mug, {"name": "Ceramic bowl", "price": 500})
    create, rename = env.records()
    env.feed([rename])
    env.feed([create])
    assert env.names("mug") == []
    assert env.names("bowl", sort="price_asc") == ["Ceramic bowl"]
    assert {i["name"]["S"] for i in env.index_items() if i["sk"]["S"] == mug} == {"Ceramic bowl"}


def test_nothing_revives_a_deleted_product(env: Env) -> None:
    mug = add(env, "Ceramic mug")
    env.service.update(mug, {"name": "Ceramic bowl"})
    env.service.delete(mug)
    create, rename, remove = env.records()
    env.feed([remove])
    env.feed([create, rename])
    assert [i for i in env.index_items() if i["sk"]["S"] == mug] == []
    assert env.names("ceramic") == []


def test_sorts_categories_and_pages(env: Env) -> None:
    for i, price in enumerate([300, 100, 200, 500, 400]):
        add(env, f"Blue mug {i}", price, "cups" if i % 2 else "kitchen")
    add(env, "Red plate", 50)
    env.feed_new()
    assert env.names("mug", sort="price_asc") == [f"Blue mug {i}" for i in (1, 2, 0, 4, 3)]
    assert env.names("mug", sort="price_desc") == [f"Blue mug {i}" for i in (3, 4, 0, 2, 1)]
    assert env.names("blue", category="cups", sort="price_asc") == ["Blue mug 1", "Blue mug 3"]
    assert env.names(None, category="kitchen", sort="price_asc") == [
        "Red plate",
        "Blue mug 2",
        "Blue mug 0",
        "Blue mug 4",
    ]
    assert env.names(None, sort="price_desc")[0] == "Blue mug 3"

    seen: list[str] = []
    cursor = None
    while True:
        page, cursor = env.service.list(None, 2, cursor, "mu", SearchSort.PRICE_ASC)
        seen += [p.name for p in page]
        assert len(page) <= 2
        if cursor is None:
            break
    assert seen == [f"Blue mug {i}" for i in (1, 2, 0, 4, 3)]
    with pytest.raises(InvalidInput, match="cursor"):
        env.service.list(None, 2, cursor or _cursor_of(env, "mu"), "plate", SearchSort.PRICE_ASC)


def _cursor_of(env: Env, q: str) -> str:
    _, cursor = env.service.list(None, 1, None, q, SearchSort.PRICE_ASC)
    assert cursor
    return cursor
