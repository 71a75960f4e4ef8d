"""The carts table (pynamodb) and the cart's read-only view of the catalog.

One item per customer, ``pk = CART#<userId>``, holding product ids and quantities in the order they were added and
a ``version`` (pynamodb's ``VersionAttribute``: every save is conditional on the version it was read at). Each
``OrderConfirmed`` taken off a cart leaves an ``APPLIED#<orderId>`` marker, written in the same transaction as the
cart, so a redelivered event takes nothing off twice. Markers expire after 90 days (TTL ``expiresAt``), far beyond
the 4 + 14 days a message can live in the queue and its dead-letter queue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from itertools import batched
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from buynest.cart.domain import Cart, CartChanged, CartLine, CatalogUnavailable, ProductView
from buynest.core import catalog
from buynest.core.dynamo import CONDITION_FAILED, reason_codes
from buynest.core.retry import Backoff

CART_PREFIX = "CART#"
APPLIED_PREFIX = "APPLIED#"
MARKER_TTL = timedelta(days=90)
MAX_KEYS_PER_BATCH = 100


class LineMap(MapAttribute[str, Any]):
    productId = UnicodeAttribute()
    quantity = NumberAttribute()


class CartItem(Model):
    class Meta:
        table_name = "carts"

    pk = UnicodeAttribute(hash_key=True)
    userId = UnicodeAttribute()
    lines = ListAttribute(of=LineMap, default=list)
    updatedAt = UnicodeAttribute(null=True)
    version = VersionAttribute()


class AppliedOrderItem(Model):
    """The marker of an order taken off a cart."""

    class Meta:
        table_name = "carts"

    pk = UnicodeAttribute(hash_key=True)
    userId = UnicodeAttribute()
    expiresAt = TTLAttribute()


def _cart_item(cart: Cart) -> CartItem:
    item = CartItem(
        pk=CART_PREFIX + cart.user_id,
        userId=cart.user_id,
        lines=[LineMap(productId=line.product_id, quantity=line.quantity) for line in cart.lines],
        updatedAt=cart.updated_at,
    )
    if cart.version is not None:
        item.version = cart.version
    return item


class DynamoCartRepository:
    """CartRepository on DynamoDB."""

    def __init__(self, table_name: str) -> None:
        CartItem.Meta.table_name = table_name
        AppliedOrderItem.Meta.table_name = table_name
        self._connection = Connection()

    def get(self, user_id: str) -> Cart:
        try:
            item = CartItem.get(CART_PREFIX + user_id, consistent_read=True)
        except CartItem.DoesNotExist:
            return Cart(user_id=user_id)
        return Cart(
            user_id=user_id,
            lines=tuple(CartLine(str(m.productId), int(m.quantity)) for m in item.lines),
            updated_at=item.updatedAt,
            version=item.version,
        )

    def save(self, cart: Cart) -> None:
        try:
            _cart_item(cart).save()
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise CartChanged(f"cart of {cart.user_id} changed") from exc
            raise

    def save_applying(self, cart: Cart, changed: bool, order_id: str) -> bool:
        marker = AppliedOrderItem(
            pk=APPLIED_PREFIX + order_id,
            userId=cart.user_id,
            expiresAt=MARKER_TTL,
        )
        try:
            with TransactWrite(connection=self._connection) as tx:
                # pynamodb sends condition checks first, then puts in the order given
                if changed:
                    tx.save(marker, condition=AppliedOrderItem.pk.does_not_exist())
                    tx.save(_cart_item(cart))
                else:
                    same = CartItem.pk.does_not_exist() if cart.version is None else CartItem.version == cart.version
                    tx.condition_check(CartItem, CART_PREFIX + cart.user_id, condition=same)
                    tx.save(marker, condition=AppliedOrderItem.pk.does_not_exist())
        except TransactWriteError as exc:
            if reason_codes(exc, 2)[0 if changed else 1] == CONDITION_FAILED:
                return False
            raise CartChanged(f"cart of {cart.user_id} changed") from exc  # version moved, or a conflict
        return True


class DynamoCatalogView:
    """The catalog as the cart shows it, from the products table's read model (``buynest.core.catalog``, with
    stock): strongly consistent, so that a repriced or deleted product shows in the cart at once."""

    def __init__(self, table_name: str, client: Any = None, backoff: Backoff | None = None) -> None:
        self._table = table_name
        self._client = client
        self._backoff = backoff or Backoff(max_attempts=5)

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("dynamodb")
        return self._client

    def products(self, product_ids: Sequence[str]) -> dict[str, ProductView]:
        found: dict[str, ProductView] = {}
        for chunk in batched(dict.fromkeys(product_ids), MAX_KEYS_PER_BATCH, strict=False):
            request = catalog.batch_get(self._table, chunk, stock=True)
            for attempt in range(self._backoff.max_attempts):
                if attempt:
                    self._backoff.pause(attempt - 1)
                resp = self.client.batch_get_item(RequestItems=request)
                for row in resp.get("Responses", {}).get(self._table, []):
                    product = catalog.read_row(row)
                    if product is not None:
                        found[product.product_id] = ProductView(
                            product.product_id, product.name, product.price, product.stock or 0
                        )
                request = resp.get("UnprocessedKeys") or {}
                if not request:
                    break
            else:
                raise CatalogUnavailable("the catalog did not answer for every product; try again")
        return found
