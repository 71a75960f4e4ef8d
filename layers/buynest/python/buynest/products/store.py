"""The products table (pynamodb). Two sparse-free GSIs serve the catalog lists, newest first:
``byCreated`` (constant partition ``catalog``) and ``byCategory`` (partition = category). The ``images`` map
(imageId -> entry) is written by the images service; here it is created empty and only read. What other services
read or write of this table is its read model, ``buynest.core.catalog``.

The same table holds the order saga's stock reservations, keyed ``productId = "RESERVATION#<orderId>"`` so that
taking stock and recording what was taken are one transaction in one table. A reservation item has no ``catalog``,
``category`` or ``sortKey`` attribute, so it never appears in either index (the catalog lists), and the product
reads and writes here treat its key as no product's. Reservations are kept (no TTL): a record that vanished would
let a redelivered ``OrderCreated`` reserve again, and a TTL delete would reach the table's REMOVE stream consumer."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from buynest.core import catalog
from buynest.core.dynamo import CONDITION_FAILED, contention, reason_codes
from buynest.core.hold import HoldState
from buynest.core.pagination import decode_cursor, encode_cursor
from buynest.core.saga import AlreadyDecided, Reserved
from buynest.products.domain import Line, Product, ProductImage, ProductNotFound, StockContention, StockHold
from buynest.products.saga import NotHeld, ProductsGone, Released, ReleaseResult, ReserveResult, Short

CATALOG = "catalog"  # the value of every product's catalog.MARKER attribute
RESERVATION_PREFIX = "RESERVATION#"


class ByCreated(GlobalSecondaryIndex["ProductItem"]):
    class Meta:
        index_name = "byCreated"
        projection = AllProjection()

    catalog = UnicodeAttribute(hash_key=True)
    sortKey = UnicodeAttribute(range_key=True)


class ByCategory(GlobalSecondaryIndex["ProductItem"]):
    class Meta:
        index_name = "byCategory"
        projection = AllProjection()

    category = UnicodeAttribute(hash_key=True)
    sortKey = UnicodeAttribute(range_key=True)


class ImagesAttribute(MapAttribute[str, Any]):
    """A raw map of image entries. Products stored before images existed hold an empty list here: read as no
    images."""

    @classmethod
    def is_raw(cls) -> bool:
        return True

    def get_value(self, value: dict[str, Any]) -> Any:
        return value.get("M", {})


class ProductItem(Model):
    class Meta:
        table_name = "products"

    productId = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    price = NumberAttribute()
    stock = NumberAttribute()
    category = UnicodeAttribute()
    catalog = UnicodeAttribute(default=CATALOG)
    sortKey = UnicodeAttribute()
    images = ImagesAttribute(default=dict)
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()

    by_created = ByCreated()
    by_category = ByCategory()


_LIST_KEYS = {
    None: frozenset({"productId", "catalog", "sortKey"}),
    "category": frozenset({"productId", "category", "sortKey"}),
}


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _to_images(images: Any) -> list[ProductImage]:
    entries = images.as_dict() if isinstance(images, MapAttribute) else dict(images or {})
    return [
        ProductImage(
            image_id=image_id,
            status=str(entry.get(catalog.IMAGE_STATUS, "")),
            width=_int_or_none(entry.get(catalog.IMAGE_WIDTH)),
            height=_int_or_none(entry.get(catalog.IMAGE_HEIGHT)),
            key=entry.get(catalog.IMAGE_KEY),
            thumbnail_key=entry.get(catalog.IMAGE_THUMBNAIL_KEY),
        )
        for image_id, entry in sorted(entries.items())
        if isinstance(entry, dict)
    ]


def _is_reservation_key(product_id: str) -> bool:
    return product_id.startswith(RESERVATION_PREFIX)


def _to_product(item: ProductItem) -> Product:
    return Product(
        product_id=item.productId,
        name=item.name,
        description=item.description or "",
        price=int(item.price),
        stock=int(item.stock),
        category=item.category,
        created_at=item.createdAt,
        updated_at=item.updatedAt,
        images=_to_images(item.images),
    )


class DynamoProductRepository:
    """ProductRepository on DynamoDB; writes to a missing product fail on a condition, not on a prior read."""

    def __init__(self, table_name: str) -> None:
        ProductItem.Meta.table_name = table_name

    def put(self, product: Product) -> None:
        ProductItem(
            productId=product.product_id,
            name=product.name,
            description=product.description,
            price=product.price,
            stock=product.stock,
            category=product.category,
            catalog=CATALOG,
            sortKey=f"{product.created_at}#{product.product_id}",
            images={},
            createdAt=product.created_at,
            updatedAt=product.updated_at,
        ).save(condition=ProductItem.productId.does_not_exist())

    def get(self, product_id: str) -> Product | None:
        if _is_reservation_key(product_id):
            return None
        try:
            return _to_product(ProductItem.get(product_id, consistent_read=True))
        except DoesNotExist:
            return None

    def update(self, product_id: str, changes: dict[str, Any], updated_at: str) -> Product:
        if _is_reservation_key(product_id):
            raise ProductNotFound(f"product {product_id} does not exist")
        item = ProductItem(productId=product_id)
        actions = [getattr(ProductItem, name).set(value) for name, value in changes.items()]
        actions.append(ProductItem.updatedAt.set(updated_at))
        try:
            item.update(actions=actions, condition=ProductItem.productId.exists())
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise ProductNotFound(f"product {product_id} does not exist") from exc
            raise
        return _to_product(item)

    def delete(self, product_id: str) -> None:
        if _is_reservation_key(product_id):
            raise ProductNotFound(f"product {product_id} does not exist")
        try:
            ProductItem(productId=product_id).delete(condition=ProductItem.productId.exists())
        except DeleteError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise ProductNotFound(f"product {product_id} does not exist") from exc
            raise

    def get_many(self, product_ids: list[str]) -> list[Product]:
        """The products among ``product_ids`` that exist (one BatchGetItem per 100), in no particular order."""
        wanted = [pid for pid in dict.fromkeys(product_ids) if not _is_reservation_key(pid)]
        return [_to_product(item) for item in ProductItem.batch_get(wanted)] if wanted else []

    def list(self, category: str | None, limit: int, cursor: str | None) -> tuple[list[Product], str | None]:
        if category is None:
            start = decode_cursor(cursor, _LIST_KEYS[None], {"catalog": CATALOG})
            results = ProductItem.by_created.query(
                CATALOG, scan_index_forward=False, limit=limit, last_evaluated_key=start
            )
        else:
            start = decode_cursor(cursor, _LIST_KEYS["category"], {"category": category})
            results = ProductItem.by_category.query(
                category, scan_index_forward=False, limit=limit, last_evaluated_key=start
            )
        items = [_to_product(i) for i in results]
        return items, encode_cursor(results.last_evaluated_key)


class ReservedLineAttribute(MapAttribute[str, Any]):
    productId = UnicodeAttribute()
    quantity = NumberAttribute()


class StockReservationItem(Model):
    """An order's stock reservation (see the module docstring): never in the catalog indexes."""

    class Meta:
        table_name = "products"

    productId = UnicodeAttribute(hash_key=True)
    orderId = UnicodeAttribute()
    state = UnicodeAttribute()
    lines = ListAttribute(of=ReservedLineAttribute, default=list)
    shortProductId = UnicodeAttribute(null=True)
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()


def _reservation_key(order_id: str) -> str:
    return f"{RESERVATION_PREFIX}{order_id}"


def _reservation_item(reservation: StockHold) -> StockReservationItem:
    return StockReservationItem(
        productId=_reservation_key(reservation.order_id),
        orderId=reservation.order_id,
        state=reservation.state.value,
        lines=[ReservedLineAttribute(productId=line.product_id, quantity=line.quantity) for line in reservation.lines],
        shortProductId=reservation.short_product_id,
        createdAt=reservation.created_at,
        updatedAt=reservation.updated_at,
    )


def _to_reservation(item: StockReservationItem) -> StockHold:
    return StockHold(
        order_id=item.orderId,
        state=HoldState(item.state),
        lines=tuple(Line(line.productId, int(line.quantity)) for line in item.lines or []),
        short_product_id=item.shortProductId,
        created_at=item.createdAt,
        updated_at=item.updatedAt,
    )


class DynamoStockLedger:
    """StockLedger on the products table. Reserving is one TransactWriteItems (the record, put if absent, and
    ``stock = stock - q`` per product on ``attribute_exists(productId) AND stock >= q``); releasing is one too (the
    record leaves RESERVED/COMMITTED, ``stock = stock + q`` per product that still exists). Item order in a
    transaction is pynamodb's (puts, then updates in the order given), which the cancellation reasons follow."""

    def __init__(self, table_name: str) -> None:
        for model in (ProductItem, StockReservationItem):
            model.Meta.table_name = table_name
        self._connection = Connection()

    def reserve(self, reservation: StockHold) -> ReserveResult:
        stray = next((line for line in reservation.lines if _is_reservation_key(line.product_id)), None)
        if stray is not None:
            return Short(stray.product_id)
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.save(_reservation_item(reservation), condition=StockReservationItem.productId.does_not_exist())
                for line in reservation.lines:
                    tx.update(
                        ProductItem(productId=line.product_id),
                        actions=[ProductItem.stock.set(ProductItem.stock - line.quantity)],
                        condition=ProductItem.productId.exists() & (ProductItem.stock >= line.quantity),
                    )
        except TransactWriteError as exc:
            record_code, *line_codes = reason_codes(exc, 1 + len(reservation.lines))
            if record_code == CONDITION_FAILED:
                return AlreadyDecided()
            short = [line for line, code in zip(reservation.lines, line_codes, strict=True) if code == CONDITION_FAILED]
            if short:
                return Short(short[0].product_id)
            if contention(exc, [record_code, *line_codes]):
                raise StockContention(f"reservation for order {reservation.order_id} lost a conflict") from exc
            raise
        return Reserved()

    def get(self, order_id: str) -> StockHold | None:
        try:
            return _to_reservation(StockReservationItem.get(_reservation_key(order_id), consistent_read=True))
        except DoesNotExist:
            return None

    def record(self, reservation: StockHold) -> StockHold:
        try:
            _reservation_item(reservation).save(condition=StockReservationItem.productId.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            stored = self.get(reservation.order_id)
            if stored is None:
                raise
            return stored
        return reservation

    def commit(self, order_id: str, at: str) -> bool:
        try:
            StockReservationItem(productId=_reservation_key(order_id)).update(
                actions=[
                    StockReservationItem.state.set(HoldState.COMMITTED.value),
                    StockReservationItem.updatedAt.set(at),
                ],
                condition=StockReservationItem.state == HoldState.RESERVED.value,
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def release(self, order_id: str, lines: tuple[Line, ...], at: str) -> ReleaseResult:
        held = [HoldState.RESERVED.value, HoldState.COMMITTED.value]
        try:
            with TransactWrite(connection=self._connection) as tx:
                tx.update(
                    StockReservationItem(productId=_reservation_key(order_id)),
                    actions=[
                        StockReservationItem.state.set(HoldState.RELEASED.value),
                        StockReservationItem.updatedAt.set(at),
                    ],
                    condition=StockReservationItem.state.is_in(*held),
                )
                for line in lines:
                    tx.update(
                        ProductItem(productId=line.product_id),
                        actions=[ProductItem.stock.set(ProductItem.stock + line.quantity)],
                        condition=ProductItem.productId.exists(),
                    )
        except TransactWriteError as exc:
            record_code, *line_codes = reason_codes(exc, 1 + len(lines))
            if record_code == CONDITION_FAILED:
                return NotHeld()
            gone = frozenset(
                line.product_id for line, code in zip(lines, line_codes, strict=True) if code == CONDITION_FAILED
            )
            if gone:
                return ProductsGone(gone)
            if contention(exc, [record_code, *line_codes]):
                raise StockContention(f"release for order {order_id} lost a conflict") from exc
            raise
        return Released()
