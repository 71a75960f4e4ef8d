"""The name index table (pynamodb): the products service's word-prefix read model of the catalog.

Keys ``pk`` / ``sk``. A posting is ``pk = <term>`` (``w#<prefix>``, ``c#<category>`` or ``all``), ``sk =
<productId>``, with the fields a query sorts and filters by; two local indexes order a partition's postings:
``byNewest`` (``newestKey = createdAt#productId``) and ``byPrice`` (``priceKey`` = zero-padded price#productId).
A product's state is ``pk = p#<productId>``, ``sk = state``: the version and fingerprint last filed and the terms
it is filed under (it has no sort attributes, so it is in neither local index). Filing is a series of transactions
of at most ``MAX_TX`` items, each conditional on the state being no newer than the image filed and not removed."""

# ruff: noqa: N815  (pynamodb attribute names are the stored, camelCase, attribute names, as in store.py)

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import batched
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.indexes import AllProjection, LocalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from buynest.core.dynamo import CONDITION_FAILED
from buynest.core.pagination import decode_cursor, encode_cursor
from buynest.products.search import Indexed, SearchPlan, SearchSort
from buynest.products.search_service import IndexState, SearchPage
from buynest.products.store import RESERVATION_PREFIX

STATE = "state"
MAX_TX = 100
MAX_READS_PER_PAGE = 500


class ByNewest(LocalSecondaryIndex["PostingItem"]):
    class Meta:
        index_name = "byNewest"
        projection = AllProjection()

    pk = UnicodeAttribute(hash_key=True)
    newestKey = UnicodeAttribute(range_key=True)


class ByPrice(LocalSecondaryIndex["PostingItem"]):
    class Meta:
        index_name = "byPrice"
        projection = AllProjection()

    pk = UnicodeAttribute(hash_key=True)
    priceKey = UnicodeAttribute(range_key=True)


class PostingItem(Model):
    class Meta:
        table_name = "search"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    newestKey = UnicodeAttribute()
    priceKey = UnicodeAttribute()
    name = UnicodeAttribute()
    category = UnicodeAttribute()
    version = UnicodeAttribute()

    by_newest = ByNewest()
    by_price = ByPrice()


class StateItem(Model):
    class Meta:
        table_name = "search"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True, default=STATE)
    version = UnicodeAttribute(default="")
    name = UnicodeAttribute(null=True)
    price = NumberAttribute(null=True)
    category = UnicodeAttribute(null=True)
    createdAt = UnicodeAttribute(null=True)
    terms = UnicodeSetAttribute(null=True)
    deleted = BooleanAttribute(default=False)


def _state_key(product_id: str) -> str:
    return f"p#{product_id}"


def _sort_attr(sort: SearchSort) -> str:
    return "priceKey" if sort in (SearchSort.PRICE_ASC, SearchSort.PRICE_DESC) else "newestKey"


class DynamoSearchIndex:
    """SearchIndex on its own DynamoDB table (see the module docstring)."""

    def __init__(self, table_name: str) -> None:
        for model in (PostingItem, StateItem):
            model.Meta.table_name = table_name
        self._connection = Connection()

    def state(self, product_id: str) -> IndexState | None:
        try:
            item = StateItem.get(_state_key(product_id), STATE, consistent_read=True)
        except StateItem.DoesNotExist:
            return None
        fingerprint = None
        if item.name is not None and item.price is not None and item.category and item.createdAt:
            fingerprint = (item.name, int(item.price), item.category, item.createdAt)
        return IndexState(
            product_id=product_id,
            version=item.version,
            fingerprint=fingerprint,
            terms=frozenset(item.terms or ()),
            deleted=bool(item.deleted),
        )

    def _newer_or_removed(self, version: str) -> Condition:
        """The state may take ``version``: none yet, or an older (or the same) one of a product not removed."""
        condition: Condition = StateItem.pk.does_not_exist() | (
            (StateItem.version <= version) & (StateItem.deleted == False)  # noqa: E712
        )
        return condition

    def file(self, product: Indexed, stale: frozenset[str]) -> bool:
        postings, final = index_items(product)
        ops: list[tuple[str, Model]] = [("save", item) for item in postings]
        ops += [("delete", PostingItem(pk=term, sk=product.product_id)) for term in sorted(stale)]
        condition = self._newer_or_removed(product.version)
        try:
            self._transact(ops, final, condition)
        except TransactWriteError as exc:
            if CONDITION_FAILED in [r.code if r else None for r in exc.cancellation_reasons]:
                return False
            raise
        return True

    def remove(self, product_id: str, terms: frozenset[str]) -> None:
        deletes: list[tuple[str, Model]] = [("delete", PostingItem(pk=term, sk=product_id)) for term in sorted(terms)]
        self._transact(deletes, StateItem(pk=_state_key(product_id), version="~", deleted=True), None)

    def _transact(self, ops: Sequence[tuple[str, Model]], final: StateItem, condition: Condition | None) -> None:
        """``ops`` in transactions of at most MAX_TX items; each checks ``condition`` on the state, the last one
        writes ``final`` (so a failure midway leaves the old state, and a retry does the whole again)."""
        chunks = list(batched(ops, MAX_TX - 1, strict=False)) or [()]
        for i, chunk in enumerate(chunks):
            with TransactWrite(connection=self._connection) as tx:
                for kind, item in chunk:
                    if kind == "save":
                        tx.save(item)
                    else:
                        tx.delete(item)
                if i == len(chunks) - 1:
                    tx.save(final, condition=condition)
                elif condition is not None:
                    tx.condition_check(StateItem, final.pk, STATE, condition=condition)

    def search(self, plan: SearchPlan, limit: int, cursor: str | None) -> SearchPage:
        """Read the plan's partition in its order, keeping postings that pass its filter, until ``limit`` are
        kept (and one more exists) or MAX_READS_PER_PAGE were read (then the cursor continues after the last)."""
        attr = _sort_attr(plan.sort)
        start = decode_cursor(cursor, frozenset({"pk", "sk", attr}), {"pk": plan.partition})
        index = PostingItem.by_price if attr == "priceKey" else PostingItem.by_newest
        results = index.query(
            plan.partition,
            scan_index_forward=not plan.descending,
            last_evaluated_key=start,
            page_size=limit + 1 if plan.exact else 100,
        )
        kept: list[PostingItem] = []
        next_after: PostingItem | None = None
        for reads, item in enumerate(results, start=1):
            if plan.exact or plan.matches(item.name, item.category):
                if len(kept) == limit:
                    next_after = kept[-1]
                    break
                kept.append(item)
            if reads >= MAX_READS_PER_PAGE:
                next_after = item
                break
        key: dict[str, Any] | None = None
        if next_after is not None:
            key = {"pk": {"S": next_after.pk}, "sk": {"S": next_after.sk}, attr: {"S": getattr(next_after, attr)}}
        return SearchPage([item.sk for item in kept], encode_cursor(key), results.total_count)


def index_items(product: Indexed) -> tuple[list[PostingItem], StateItem]:
    """Every item of ``product`` in the index, as ``file`` writes them: its postings and its state."""
    postings = [
        PostingItem(
            pk=term,
            sk=product.product_id,
            newestKey=product.newest_key(),
            priceKey=product.price_key(),
            name=product.name,
            category=product.category,
            version=product.version,
        )
        for term in sorted(product.terms())
    ]
    state = StateItem(
        pk=_state_key(product.product_id),
        version=product.version,
        name=product.name,
        price=product.price,
        category=product.category,
        createdAt=product.created_at,
        terms=set(product.terms()),
        deleted=False,
    )
    return postings, state


def indexed_from_image(image: Mapping[str, Any]) -> Indexed | None:
    """A products-table item (a stream image, deserialized) as the index sees it; None for an item that is not a
    product (a stock reservation) or lacks a field the index needs."""
    pid = image.get("productId")
    if not isinstance(pid, str) or pid.startswith(RESERVATION_PREFIX):
        return None
    try:
        return Indexed(
            product_id=pid,
            name=str(image["name"]),
            price=int(image["price"]),
            category=str(image["category"]),
            created_at=str(image["createdAt"]),
            version=str(image.get("updatedAt") or image["createdAt"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
