"""The orders table (pynamodb) and the catalog reader.

Orders are keyed by ``orderId``; ``byUser`` (userId, userSort) lists a customer's orders newest first, and the
sparse ``openOrders`` index (openPk, openSince) holds the orders with work left, for the sweeper: openPk = "OPEN"
(since its creation) while the order is not final, then "UNPUBLISHED" (since it became final) until the outbox has
put its latest final or fulfilment event on the bus. ``desk`` (deskPk = "<status>#<fulfilment>", userSort) holds
every order in the partition of its state, for the admin order desk.
Every change of state is a conditional update built from ``domain.LIFECYCLE``, so two workers can never move one
order twice."""

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
    LIFECYCLE,
    Amounts,
    Fulfillment,
    FulfillmentStatus,
    Hold,
    Line,
    Order,
    OrderStatus,
    Part,
    Step,
    UnknownProduct,
    desk_key,
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


class Desk(GlobalSecondaryIndex["OrderItem"]):
    class Meta:
        index_name = "desk"
        projection = AllProjection()

    deskPk = UnicodeAttribute(hash_key=True)
    userSort = UnicodeAttribute(range_key=True)


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
    shippingAddress = MapAttribute(null=True)  # type: ignore[var-annotated]
    fulfillment = UnicodeAttribute(null=True)  # absent on orders placed before fulfilment: UNFULFILLED
    carrier = UnicodeAttribute(null=True)
    trackingNumber = UnicodeAttribute(null=True)
    shippedAt = UnicodeAttribute(null=True)
    deliveredAt = UnicodeAttribute(null=True)
    deskPk = UnicodeAttribute(null=True)

    by_user = ByUser()
    open_orders = OpenOrders()
    desk = Desk()


PART_ATTR = {Part.STOCK: OrderItem.stock, Part.COUPON: OrderItem.coupon, Part.POINTS: OrderItem.points}


def _plain(value: Any) -> Any:
    return value.as_dict() if isinstance(value, MapAttribute) else dict(value)


def _address(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    plain = {str(k): str(v) for k, v in _plain(value).items() if v is not None}
    return {**plain, "line2": plain.get("line2")}


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
        shipping_address=_address(item.shippingAddress),
        fulfillment=Fulfillment(
            status=FulfillmentStatus(item.fulfillment or FulfillmentStatus.UNFULFILLED.value),
            carrier=item.carrier,
            tracking_number=item.trackingNumber,
            shipped_at=item.shippedAt,
            delivered_at=item.deliveredAt,
        ),
    )


def _step(status: str, now: str) -> list[dict[str, str]]:
    return [{"status": status, "at": now}]


def _fulfillment_in(states: frozenset[FulfillmentStatus]) -> Condition:
    condition = OrderItem.fulfillment.is_in(*sorted(f.value for f in states))
    if FulfillmentStatus.UNFULFILLED in states:
        condition = condition | OrderItem.fulfillment.does_not_exist()  # an order from before fulfilment
    return condition


def allowed(step: Step) -> Condition:
    """The condition that the order is in a state ``step`` may leave (``LIFECYCLE``)."""
    move = LIFECYCLE[step]
    condition: Condition = OrderItem.status.is_in(*sorted(s.value for s in move.statuses))
    condition = condition & _fulfillment_in(move.fulfillments)
    return condition


def _moved(step: Step) -> list[Action]:
    """The desk partition of the state ``step`` leads to (every source of a move that changes state has the same
    target; the lifecycle test checks it)."""
    move = LIFECYCLE[step]
    targets = {move.target((s, f)) for s in move.statuses for f in move.fulfillments}
    if move.status is None and move.fulfillment is None:
        return []
    (target,) = targets
    return [OrderItem.deskPk.set(desk_key(*target))]


def _published(stage: str) -> Condition:
    """The order still stands at ``stage`` (``domain.outbox_stage``) and its event is not acknowledged."""
    at: Condition
    if stage in FulfillmentStatus.__members__:
        at = OrderItem.fulfillment == stage
    else:
        at = (OrderItem.status == stage) & _fulfillment_in(frozenset({FulfillmentStatus.UNFULFILLED}))
    at = at & (OrderItem.openPk == UNPUBLISHED)
    return at


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
            shippingAddress={k: v for k, v in order.shipping_address.items() if v is not None}
            if order.shipping_address
            else None,
            fulfillment=order.fulfillment.status.value,
            deskPk=desk_key(*order.state),
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

    def list_desk(self, keys: list[str], limit: int, before: str | None) -> tuple[list[Order], bool]:
        """Up to ``limit`` orders of the desk partitions ``keys``, newest first, older than ``before`` (a
        ``userSort``), and whether there are more: the partitions read at once (up to eight queries), merged."""
        from concurrent.futures import ThreadPoolExecutor

        def newest(key: str) -> list[OrderItem]:
            condition = OrderItem.userSort < before if before else None
            return list(
                OrderItem.desk.query(key, condition, scan_index_forward=False, limit=limit + 1, page_size=limit + 1)
            )

        with ThreadPoolExecutor(max_workers=max(len(keys), 1)) as pool:
            pages = list(pool.map(newest, keys))
        more = any(len(items) > limit for items in pages)
        found = [item for items in pages for item in items[:limit]]
        found.sort(key=lambda i: i.userSort, reverse=True)
        more = more or len(found) > limit
        return [to_order(i) for i in found[:limit]], more

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
        return self._transition(order_id, actions, allowed(Step.HOLD) & (attr == Hold.PENDING.value))

    def record_rejection(self, order_id: str, part: Part, reason: str, now: str) -> Order | None:
        attr = PART_ATTR[part]
        return self._transition(
            order_id,
            [
                attr.set(Hold.REJECTED.value),
                *self._final(Step.REJECT, now),
                OrderItem.failureReason.set(reason),
            ],
            allowed(Step.REJECT) & (attr == Hold.PENDING.value),
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
                OrderItem.timeline.set(OrderItem.timeline.append(_step(OrderStatus.RESERVED.value, now))),
                *_moved(Step.RESERVE),
            ],
            allowed(Step.RESERVE) & held,
        )

    def mark_paid(self, order_id: str, payment_id: str | None, now: str) -> Order | None:
        actions: list[Action] = [
            OrderItem.status.set(OrderStatus.PAID.value),
            OrderItem.updatedAt.set(now),
            OrderItem.timeline.set(OrderItem.timeline.append(_step(OrderStatus.PAID.value, now))),
            *_moved(Step.PAY),
        ]
        if payment_id:
            actions.append(OrderItem.paymentId.set(payment_id))
        return self._transition(order_id, actions, allowed(Step.PAY))

    def mark_confirmed(self, order_id: str, points_earned: int, now: str) -> Order | None:
        return self._transition(
            order_id,
            [*self._final(Step.CONFIRM, now), OrderItem.pointsEarned.set(points_earned)],
            allowed(Step.CONFIRM),
        )

    def mark_failed(self, order_id: str, reason: str, now: str, step: Step = Step.FAIL) -> Order | None:
        """FAILED with ``reason``, by ``step`` (FAIL: the payment workflow; TIME_OUT: the sweeper)."""
        return self._transition(order_id, [*self._final(step, now), OrderItem.failureReason.set(reason)], allowed(step))

    def mark_cancelled(self, order_id: str, user_id: str | None, now: str) -> Order | None:
        """CANCELLED, if the order is ``user_id``'s (None: an admin's cancel, any customer's order)."""
        condition = allowed(Step.CANCEL)
        if user_id is not None:
            condition = condition & (OrderItem.userId == user_id)
        return self._transition(order_id, self._final(Step.CANCEL, now), condition)

    def mark_shipped(self, order_id: str, carrier: str, tracking_number: str, now: str) -> Order | None:
        """SHIPPED, if the order may ship (``LIFECYCLE``) and has an address to ship to."""
        return self._transition(
            order_id,
            [
                *self._fulfilled(Step.SHIP, now),
                OrderItem.carrier.set(carrier),
                OrderItem.trackingNumber.set(tracking_number),
                OrderItem.shippedAt.set(now),
            ],
            allowed(Step.SHIP) & OrderItem.shippingAddress.exists(),
        )

    def mark_delivered(self, order_id: str, now: str) -> Order | None:
        return self._transition(
            order_id, [*self._fulfilled(Step.DELIVER, now), OrderItem.deliveredAt.set(now)], allowed(Step.DELIVER)
        )

    @staticmethod
    def _unpublished() -> list[Action]:
        return [OrderItem.openPk.set(UNPUBLISHED), OrderItem.openSince.set(int(time.time()))]

    @classmethod
    def _final(cls, step: Step, now: str) -> list[Action]:
        """A final status; the order stays in ``openOrders`` as UNPUBLISHED until its final event is on the bus."""
        status = LIFECYCLE[step].status
        assert status in FINAL
        return [
            OrderItem.status.set(status.value),
            OrderItem.updatedAt.set(now),
            OrderItem.timeline.set(OrderItem.timeline.append(_step(status.value, now))),
            *_moved(step),
            *cls._unpublished(),
        ]

    @classmethod
    def _fulfilled(cls, step: Step, now: str) -> list[Action]:
        """A fulfilment change; UNPUBLISHED (in ``openOrders``) until its event is on the bus."""
        fulfillment = LIFECYCLE[step].fulfillment
        assert fulfillment is not None
        return [
            OrderItem.fulfillment.set(fulfillment.value),
            OrderItem.updatedAt.set(now),
            OrderItem.timeline.set(OrderItem.timeline.append(_step(fulfillment.value, now))),
            *_moved(step),
            *cls._unpublished(),
        ]

    def next_workflow_run(self, order_id: str, run: int) -> Order | None:
        """Claim run ``run + 1`` of the payment workflow for an order still RESERVED or PAID (one sweeper wins)."""
        current = OrderItem.workflowRun == run
        if run == 0:
            current = current | OrderItem.workflowRun.does_not_exist()
        return self._transition(
            order_id,
            [OrderItem.workflowRun.set(run + 1)],
            allowed(Step.RERUN) & current,
        )

    def mark_published(self, order_id: str, stage: str) -> bool:
        """The event of ``stage`` (``domain.outbox_stage``) is on the bus: the order leaves ``openOrders``
        (unless it moved on since)."""
        return (
            self._transition(order_id, [OrderItem.openPk.remove(), OrderItem.openSince.remove()], _published(stage))
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

    def prices(self, product_ids: list[str], skip_unknown: bool = False) -> dict[str, ProductSnapshot]:
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
        if missing and not skip_unknown:
            raise UnknownProduct(f"items: product {missing[0]} does not exist")
        return found


class DynamoCartReader:
    """The customer's cart lines, read from the carts table that the cart service owns: its ``CART#<userId>`` item
    by key only, its ``lines`` only (IAM grants nothing else), strongly consistent."""

    def __init__(self, table_name: str) -> None:
        self._table_name = table_name
        self._client = lazy_client("dynamodb")

    def lines(self, user_id: str) -> list[tuple[str, int]]:
        resp = self._client().get_item(
            TableName=self._table_name,
            Key={"pk": {"S": f"CART#{user_id}"}},
            ConsistentRead=True,
            ProjectionExpression="pk, #l",
            ExpressionAttributeNames={"#l": "lines"},
        )
        lines = resp.get("Item", {}).get("lines", {}).get("L", [])
        return [(str(m["M"]["productId"]["S"]), int(m["M"]["quantity"]["N"])) for m in lines]


ADDRESS_FIELDS = ("recipient", "phone", "line1", "line2", "city", "postalCode", "country")


class DynamoAddressReader:
    """The customer's saved address, read from the users table that the users service owns: its
    ``ADDRESS#<userId>`` item by key only, the address's fields only (IAM grants nothing else)."""

    def __init__(self, table_name: str) -> None:
        self._table_name = table_name
        self._client = lazy_client("dynamodb")

    def saved(self, user_id: str) -> dict[str, Any] | None:
        names = {f"#a{i}": name for i, name in enumerate(("pk", *ADDRESS_FIELDS))}
        resp = self._client().get_item(
            TableName=self._table_name,
            Key={"pk": {"S": f"ADDRESS#{user_id}"}},
            ConsistentRead=True,
            ProjectionExpression=", ".join(names),
            ExpressionAttributeNames=names,
        )
        item = resp.get("Item")
        if not item:
            return None
        return {name: item[name]["S"] if name in item and "S" in item[name] else None for name in ADDRESS_FIELDS}


def order_from_image(image: dict[str, Any] | None) -> Order | None:
    """An order from a stream record's image (DynamoDB attribute-value form); None for no image."""
    if not image:
        return None
    return to_order(OrderItem.from_raw_data(image))
