"""The orders table (pynamodb) and the catalog reader.

Orders are keyed by ``orderId``; ``byUser`` (userId, userSort) lists a customer's orders newest first, and the
sparse ``openOrders`` index (openPk, openSince) holds the orders with work left, for the sweeper: openPk = "OPEN"
(since its creation) while the order is not final, then "UNPUBLISHED" (since it became final) until the outbox has
put its final event on the bus.
Every status change is a conditional update, so two workers can never move one order twice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from buynest.core import catalog
from buynest.core.lazy import lazy_client
from buynest.core.pagination import decode_cursor, encode_cursor
from buynest.core.payment import TokenKind
from buynest.orders.domain import (
    FINAL,
    Amounts,
    Hold,
    Line,
    Order,
    OrderStatus,
    Part,
    UnknownProduct,
)

OPEN = "OPEN"
UNPUBLISHED = "UNPUBLISHED"
PAGE_SIZE = 100


class ByUser(GlobalSecondaryIndex["OrderItem"]):
    class Meta:
        index_name = "byUser"
        projection = AllProjection()

    userId = UnicodeAttribute(hash_key=True)
    userSort = UnicodeAttribute(range_key=True)


class OpenOrders(GlobalSecondaryIndex["OrderItem"]):
    class Meta:
        index_name = "openOrders"
        projection = KeysOnlyProjection()

    openPk = UnicodeAttribute(hash_key=True)
    openSince = NumberAttribute(range_key=True)


class OrderItem(Model):
    class Meta:
        table_name = "orders"

    orderId = UnicodeAttribute(hash_key=True)
    userId = UnicodeAttribute()
    userSort = UnicodeAttribute()
    status = UnicodeAttribute()
    failureReason = UnicodeAttribute(null=True)
    lines = ListAttribute(of=MapAttribute)
    subtotal = NumberAttribute()
    discount = NumberAttribute(default=0)
    pointsToUse = NumberAttribute(default=0)
    pointsUsed = NumberAttribute(default=0)
    pointsEarned = NumberAttribute(default=0)
    couponId = UnicodeAttribute(null=True)
    tokenKind = UnicodeAttribute(null=True)  # the card token's kind, never the token
    paymentId = UnicodeAttribute(null=True)
    createdAt = UnicodeAttribute()
    updatedAt = UnicodeAttribute()
    timeline = ListAttribute(of=MapAttribute)
    stock = UnicodeAttribute()
    coupon = UnicodeAttribute()
    points = UnicodeAttribute()
    openPk = UnicodeAttribute(null=True)
    openSince = NumberAttribute(null=True)
    workflowRun = NumberAttribute(null=True)

    by_user = ByUser()
    open_orders = OpenOrders()


PART_ATTR = {Part.STOCK: OrderItem.stock, Part.COUPON: OrderItem.coupon, Part.POINTS: OrderItem.points}


def _plain(value: Any) -> Any:
    return value.as_dict() if isinstance(value, MapAttribute) else dict(value)


def to_order(item: OrderItem) -> Order:
    lines = [_plain(m) for m in item.lines]
    return Order(
        order_id=item.orderId,
        user_id=item.userId,
        status=OrderStatus(item.status),
        lines=[
            Line(
                product_id=m["productId"],
                quantity=int(m["quantity"]),
                unit_price=int(m["unitPrice"]),
                name=m.get("name", ""),
            )
            for m in lines
        ],
        amounts=Amounts(
            subtotal=int(item.subtotal), discount=int(item.discount or 0), points_used=int(item.pointsUsed or 0)
        ),
        created_at=item.createdAt,
        updated_at=item.updatedAt,
        coupon_id=item.couponId,
        points_to_use=int(item.pointsToUse or 0),
        token_kind=item.tokenKind or TokenKind.UNKNOWN.value,
        failure_reason=item.failureReason,
        points_earned=int(item.pointsEarned or 0),
        holds={Part.STOCK: Hold(item.stock), Part.COUPON: Hold(item.coupon), Part.POINTS: Hold(item.points)},
        timeline=[{"status": str(t["status"]), "at": str(t["at"])} for t in (_plain(m) for m in item.timeline)],
        workflow_run=int(item.workflowRun or 0),
    )


def _step(status: OrderStatus, now: str) -> list[dict[str, str]]:
    return [{"status": status.value, "at": now}]


class DynamoOrderRepository:
    """OrderRepository on DynamoDB."""

    def __init__(self, table_name: str) -> None:
        OrderItem.Meta.table_name = table_name

    def create(self, order: Order, now_epoch: int) -> None:
        OrderItem(
            orderId=order.order_id,
            userId=order.user_id,
            userSort=f"{order.created_at}#{order.order_id}",
            status=order.status.value,
            lines=[line.wire() for line in order.lines],
            subtotal=order.amounts.subtotal,
            discount=0,
            pointsToUse=order.points_to_use,
            pointsUsed=0,
            pointsEarned=0,
            couponId=order.coupon_id,
            tokenKind=order.token_kind,
            createdAt=order.created_at,
            updatedAt=order.updated_at,
            timeline=list(order.timeline),
            stock=order.holds[Part.STOCK].value,
            coupon=order.holds[Part.COUPON].value,
            points=order.holds[Part.POINTS].value,
            openPk=OPEN,
            openSince=now_epoch,
        ).save(condition=OrderItem.orderId.does_not_exist())

    def get(self, order_id: str) -> Order | None:
        try:
            return to_order(OrderItem.get(order_id, consistent_read=True))
        except DoesNotExist:
            return None

    def list_for_user(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]:
        start = decode_cursor(cursor, frozenset({"orderId", "userId", "userSort"}), {"userId": user_id})
        results = OrderItem.by_user.query(user_id, scan_index_forward=False, limit=limit, last_evaluated_key=start)
        orders = [to_order(i) for i in results]
        return orders, encode_cursor(results.last_evaluated_key)

    def _transition(self, order_id: str, actions: list[Action], condition: Condition) -> Order | None:
        """Apply ``actions`` if ``condition`` holds; the updated order, or None when the condition failed."""
        item = OrderItem(orderId=order_id)
        try:
            item.update(actions=actions, condition=OrderItem.orderId.exists() & condition)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return to_order(item)

    def record_hold(self, order_id: str, part: Part, discount: int, now: str) -> Order | None:
        attr = PART_ATTR[part]
        actions: list[Action] = [attr.set(Hold.OK.value), OrderItem.updatedAt.set(now)]
        if part == Part.COUPON:
            actions.append(OrderItem.discount.set(discount))
        return self._transition(
            order_id, actions, (OrderItem.status == OrderStatus.PENDING.value) & (attr == Hold.PENDING.value)
        )

    def record_rejection(self, order_id: str, part: Part, reason: str, now: str) -> Order | None:
        attr = PART_ATTR[part]
        return self._transition(
            order_id,
            [
                attr.set(Hold.REJECTED.value),
                *self._final(OrderStatus.FAILED, now),
                OrderItem.failureReason.set(reason),
            ],
            (OrderItem.status == OrderStatus.PENDING.value) & (attr == Hold.PENDING.value),
        )

    def mark_reserved(self, order_id: str, amounts: Amounts, now: str) -> Order | None:
        held = (OrderItem.stock == Hold.OK.value) & OrderItem.coupon.is_in(Hold.OK.value, Hold.NONE.value)
        held = held & OrderItem.points.is_in(Hold.OK.value, Hold.NONE.value)
        return self._transition(
            order_id,
            [
                OrderItem.status.set(OrderStatus.RESERVED.value),
                OrderItem.discount.set(amounts.discount),
                OrderItem.pointsUsed.set(amounts.points_used),
                OrderItem.updatedAt.set(now),
                OrderItem.timeline.set(OrderItem.timeline.append(_step(OrderStatus.RESERVED, now))),
            ],
            (OrderItem.status == OrderStatus.PENDING.value) & held,
        )

    def mark_paid(self, order_id: str, payment_id: str | None, now: str) -> Order | None:
        actions: list[Action] = [
            OrderItem.status.set(OrderStatus.PAID.value),
            OrderItem.updatedAt.set(now),
            OrderItem.timeline.set(OrderItem.timeline.append(_step(OrderStatus.PAID, now))),
        ]
        if payment_id:
            actions.append(OrderItem.paymentId.set(payment_id))
        return self._transition(order_id, actions, OrderItem.status == OrderStatus.RESERVED.value)

    def mark_confirmed(self, order_id: str, points_earned: int, now: str) -> Order | None:
        return self._transition(
            order_id,
            [*self._final(OrderStatus.CONFIRMED, now), OrderItem.pointsEarned.set(points_earned)],
            OrderItem.status == OrderStatus.PAID.value,
        )

    def mark_failed(self, order_id: str, reason: str, now: str, from_statuses: tuple[OrderStatus, ...]) -> Order | None:
        return self._transition(
            order_id,
            [*self._final(OrderStatus.FAILED, now), OrderItem.failureReason.set(reason)],
            OrderItem.status.is_in(*[s.value for s in from_statuses]),
        )

    def mark_cancelled(self, order_id: str, user_id: str, now: str) -> Order | None:
        return self._transition(
            order_id,
            self._final(OrderStatus.CANCELLED, now),
            (OrderItem.status == OrderStatus.CONFIRMED.value) & (OrderItem.userId == user_id),
        )

    @staticmethod
    def _final(status: OrderStatus, now: str) -> list[Action]:
        """A final status; the order stays in ``openOrders`` as UNPUBLISHED until its final event is on the bus."""
        assert status in FINAL
        return [
            OrderItem.status.set(status.value),
            OrderItem.updatedAt.set(now),
            OrderItem.timeline.set(OrderItem.timeline.append(_step(status, now))),
            OrderItem.openPk.set(UNPUBLISHED),
            OrderItem.openSince.set(int(time.time())),
        ]

    def next_workflow_run(self, order_id: str, run: int) -> Order | None:
        """Claim run ``run + 1`` of the payment workflow for an order still RESERVED or PAID (one sweeper wins)."""
        current = OrderItem.workflowRun == run
        if run == 0:
            current = current | OrderItem.workflowRun.does_not_exist()
        return self._transition(
            order_id,
            [OrderItem.workflowRun.set(run + 1)],
            OrderItem.status.is_in(OrderStatus.RESERVED.value, OrderStatus.PAID.value) & current,
        )

    def mark_published(self, order_id: str, status: OrderStatus) -> bool:
        """The final event of ``status`` is on the bus: the order leaves ``openOrders`` (unless it moved on)."""
        return (
            self._transition(
                order_id,
                [OrderItem.openPk.remove(), OrderItem.openSince.remove()],
                (OrderItem.status == status.value) & (OrderItem.openPk == UNPUBLISHED),
            )
            is not None
        )

    def open_order_ids(self, opened_by: int) -> Iterator[str]:
        """Every order not yet final that was opened at or before ``opened_by`` (epoch seconds), oldest first,
        page after page of the index."""
        return self._index(OPEN, opened_by)

    def unpublished_order_ids(self, finished_by: int) -> Iterator[str]:
        """Every final order whose final event is not known to be on the bus, finished at or before ``finished_by``."""
        return self._index(UNPUBLISHED, finished_by)

    @staticmethod
    def _index(partition: str, by: int) -> Iterator[str]:
        for item in OrderItem.open_orders.query(partition, OrderItem.openSince <= by, page_size=PAGE_SIZE):
            yield item.orderId


class ProductSnapshot:
    def __init__(self, product_id: str, name: str, price: int) -> None:
        self.product_id, self.name, self.price = product_id, name, price


class DynamoCatalog:
    """Reads the prices and names an order snapshots from the products table's read model (``buynest.core.catalog``:
    by key, strongly consistent, so the price a customer pays is the price at the moment of ordering)."""

    def __init__(self, table_name: str) -> None:
        self._table_name = table_name
        self._client = lazy_client("dynamodb")

    def prices(self, product_ids: list[str]) -> dict[str, ProductSnapshot]:
        client = self._client()
        request = catalog.batch_get(self._table_name, dict.fromkeys(product_ids))
        found: dict[str, ProductSnapshot] = {}
        for _ in range(5):
            resp = client.batch_get_item(RequestItems=request)
            for row in resp.get("Responses", {}).get(self._table_name, []):
                product = catalog.read_row(row)
                if product is not None:
                    found[product.product_id] = ProductSnapshot(product.product_id, product.name, product.price)
            request = resp.get("UnprocessedKeys") or {}
            if not request:
                break
        missing = [pid for pid in product_ids if pid not in found]
        if missing:
            raise UnknownProduct(f"items: product {missing[0]} does not exist")
        return found


def order_from_image(image: dict[str, Any] | None) -> Order | None:
    """An order from a stream record's image (DynamoDB attribute-value form); None for no image."""
    if not image:
        return None
    return to_order(OrderItem.from_raw_data(image))
