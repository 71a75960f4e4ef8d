"""Orders: the order's life and money rules, in plain Python.

Every allowed change of an order's state (its status and its fulfilment) is one row of ``LIFECYCLE``; the store
builds its conditional writes from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from buynest.core.errors import BuynestError, Conflict, InvalidInput, NotFound, Unprocessable
from buynest.core.payment import MAX_AMOUNT, TokenKind


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    RESERVED = "RESERVED"
    PAID = "PAID"
    CONFIRMED = "CONFIRMED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


FINAL = frozenset({OrderStatus.CONFIRMED, OrderStatus.FAILED, OrderStatus.CANCELLED})


class FulfillmentStatus(StrEnum):
    UNFULFILLED = "UNFULFILLED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"


class Step(StrEnum):
    """The changes an order can go through (one ``OrderRepository`` method each)."""

    HOLD = "HOLD"  # an owner holds its part (stock, coupon or points)
    REJECT = "REJECT"  # an owner refuses its part
    RESERVE = "RESERVE"  # every part held
    PAY = "PAY"  # payment captured
    CONFIRM = "CONFIRM"
    FAIL = "FAIL"  # the payment failed for good
    TIME_OUT = "TIME_OUT"  # the sweeper ends an order still PENDING
    RERUN = "RERUN"  # the sweeper runs the payment workflow again
    CANCEL = "CANCEL"  # by the owner or an admin, before shipping
    SHIP = "SHIP"
    DELIVER = "DELIVER"


State = tuple[OrderStatus, FulfillmentStatus]


@dataclass(frozen=True)
class Move:
    """From any of ``statuses`` with any of ``fulfillments``, to ``status``/``fulfillment`` (None: unchanged)."""

    statuses: frozenset[OrderStatus]
    status: OrderStatus | None = None
    fulfillments: frozenset[FulfillmentStatus] = frozenset({FulfillmentStatus.UNFULFILLED})
    fulfillment: FulfillmentStatus | None = None

    def allows(self, state: State) -> bool:
        return state[0] in self.statuses and state[1] in self.fulfillments

    def target(self, state: State) -> State:
        return (self.status or state[0], self.fulfillment or state[1])


_S = OrderStatus
LIFECYCLE: dict[Step, Move] = {
    Step.HOLD: Move(frozenset({_S.PENDING}), _S.PENDING),
    Step.REJECT: Move(frozenset({_S.PENDING}), _S.FAILED),
    Step.RESERVE: Move(frozenset({_S.PENDING}), _S.RESERVED),
    Step.PAY: Move(frozenset({_S.RESERVED}), _S.PAID),
    Step.CONFIRM: Move(frozenset({_S.PAID}), _S.CONFIRMED),
    Step.FAIL: Move(frozenset({_S.PENDING, _S.RESERVED, _S.PAID}), _S.FAILED),
    Step.TIME_OUT: Move(frozenset({_S.PENDING}), _S.FAILED),
    Step.RERUN: Move(frozenset({_S.RESERVED, _S.PAID})),
    Step.CANCEL: Move(frozenset({_S.CONFIRMED}), _S.CANCELLED),
    Step.SHIP: Move(frozenset({_S.CONFIRMED}), fulfillment=FulfillmentStatus.SHIPPED),
    Step.DELIVER: Move(
        frozenset({_S.CONFIRMED}),
        fulfillments=frozenset({FulfillmentStatus.SHIPPED}),
        fulfillment=FulfillmentStatus.DELIVERED,
    ),
}
START: State = (OrderStatus.PENDING, FulfillmentStatus.UNFULFILLED)


def allowed(step: Step, status: OrderStatus, fulfillment: FulfillmentStatus) -> bool:
    return LIFECYCLE[step].allows((status, fulfillment))


def reachable_states() -> frozenset[State]:
    """Every state an order can be in: the table walked from ``START``."""
    seen, todo = {START}, [START]
    while todo:
        state = todo.pop()
        for move in LIFECYCLE.values():
            if move.allows(state) and (nxt := move.target(state)) not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return frozenset(seen)


def desk_key(status: OrderStatus, fulfillment: FulfillmentStatus) -> str:
    """The order desk index's partition of an order in this state."""
    return f"{status.value}#{fulfillment.value}"


def desk_keys(status: OrderStatus | None, fulfillment: FulfillmentStatus | None) -> list[str]:
    """The desk partitions a filter reads: every reachable state matching it (none for an impossible pair)."""
    return sorted(
        desk_key(s, f)
        for s, f in reachable_states()
        if (status is None or s == status) and (fulfillment is None or f == fulfillment)
    )


class FailureReason(StrEnum):
    OUT_OF_STOCK = "OUT_OF_STOCK"
    COUPON_INVALID = "COUPON_INVALID"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    PAYMENT_DECLINED = "PAYMENT_DECLINED"
    PAYMENT_ERROR = "PAYMENT_ERROR"
    TIMEOUT = "TIMEOUT"


class Part(StrEnum):
    """What an order asks its owners to hold; each answers with a ...Reserved or ...Rejected reply."""

    STOCK = "stock"
    COUPON = "coupon"
    POINTS = "points"


class Hold(StrEnum):
    NONE = "NONE"
    PENDING = "PENDING"
    OK = "OK"
    REJECTED = "REJECTED"


REJECTION_REASON = {
    Part.STOCK: FailureReason.OUT_OF_STOCK,
    Part.COUPON: FailureReason.COUPON_INVALID,
    Part.POINTS: FailureReason.INSUFFICIENT_POINTS,
}

MAX_LINES = 20
MAX_QUANTITY = 100
POINTS_RATE_DIVISOR = 100


class OrderError(BuynestError):
    """Base of the orders service's errors."""


class OrderNotFound(OrderError, NotFound):
    pass


class UnknownProduct(OrderError, NotFound):
    pass


class NotCancellable(OrderError, Conflict):
    code = "NOT_CANCELLABLE"


class NotShippable(OrderError, Conflict):
    code = "NOT_SHIPPABLE"


class NotDeliverable(OrderError, Conflict):
    code = "NOT_DELIVERABLE"


class CartEmpty(OrderError, InvalidInput):
    code = "CART_EMPTY"


class IdempotencyKeyReused(OrderError, Unprocessable):
    code = "IDEMPOTENCY_KEY_REUSED"


class IdempotencyInProgress(OrderError, Conflict):
    code = "IDEMPOTENCY_IN_PROGRESS"


class InvalidOrder(OrderError, InvalidInput):
    pass


class NotConfirmable(OrderError):
    """The payment workflow tried to confirm an order that is no longer waiting for its payment (e.g. timed out):
    the workflow refunds instead. The class name is matched by the state machine's Catch."""


@dataclass(frozen=True)
class Line:
    product_id: str
    quantity: int
    unit_price: int
    name: str = ""

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price

    def public(self) -> dict[str, Any]:
        return {
            "productId": self.product_id,
            "quantity": self.quantity,
            "unitPrice": self.unit_price,
            "name": self.name,
        }

    def wire(self) -> dict[str, Any]:
        return self.public()


@dataclass(frozen=True)
class Amounts:
    subtotal: int
    discount: int = 0
    points_used: int = 0

    @property
    def total(self) -> int:
        return self.subtotal - self.discount - self.points_used

    def public(self) -> dict[str, int]:
        return {
            "subtotal": self.subtotal,
            "discount": self.discount,
            "pointsUsed": self.points_used,
            "total": self.total,
        }


def settle_amounts(subtotal: int, discount: int, points_to_use: int) -> Amounts:
    """Final amounts once the coupon's discount is known: the discount never exceeds the subtotal, and only the
    points needed to reach zero are used (the rest of those reserved go back to the customer)."""
    discount = min(max(discount, 0), subtotal)
    points_used = min(max(points_to_use, 0), subtotal - discount)
    return Amounts(subtotal=subtotal, discount=discount, points_used=points_used)


def points_earned(total: int) -> int:
    """1 % of what the customer paid, rounded down."""
    return total // POINTS_RATE_DIVISOR


def check_payable(subtotal: int) -> None:
    """An order whose subtotal the payment path could not take is refused up front (it would otherwise hold stock,
    coupon and points, then fail as PAYMENT_ERROR)."""
    if subtotal > MAX_AMOUNT:
        raise InvalidOrder(
            f"items: the order's subtotal ({subtotal:,} KRW) is more than a payment can take ({MAX_AMOUNT:,} KRW)"
        )


def merge_lines(lines: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """One line per product (quantities of repeated products added up), in first-seen order."""
    merged: dict[str, int] = {}
    for product_id, quantity in lines:
        merged[product_id] = merged.get(product_id, 0) + quantity
    if any(q > MAX_QUANTITY for q in merged.values()):
        raise InvalidOrder(f"items: at most {MAX_QUANTITY} of one product per order")
    return list(merged.items())


@dataclass(frozen=True)
class Fulfillment:
    status: FulfillmentStatus = FulfillmentStatus.UNFULFILLED
    carrier: str | None = None
    tracking_number: str | None = None
    shipped_at: str | None = None
    delivered_at: str | None = None

    def public(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "carrier": self.carrier,
            "trackingNumber": self.tracking_number,
            "shippedAt": self.shipped_at,
            "deliveredAt": self.delivered_at,
        }


@dataclass(frozen=True)
class Order:
    order_id: str
    user_id: str
    status: OrderStatus
    lines: list[Line]
    amounts: Amounts
    created_at: str
    updated_at: str
    coupon_id: str | None = None
    points_to_use: int = 0
    token_kind: str = TokenKind.UNKNOWN.value  # the card token's kind (buynest.core.payment), never the token
    failure_reason: str | None = None
    points_earned: int = 0
    holds: dict[Part, Hold] = field(default_factory=dict)
    timeline: list[dict[str, str]] = field(default_factory=list)
    workflow_run: int = 0  # how many times the sweeper has run the payment workflow again for this order
    shipping_address: dict[str, Any] | None = None  # the contract's address shape (camelCase), or None
    fulfillment: Fulfillment = field(default_factory=Fulfillment)

    @property
    def state(self) -> State:
        return (self.status, self.fulfillment.status)

    def public(self) -> dict[str, Any]:
        return {
            "orderId": self.order_id,
            "userId": self.user_id,
            "status": self.status.value,
            "failureReason": self.failure_reason,
            "items": [line.public() for line in self.lines],
            "amounts": self.amounts.public(),
            "couponId": self.coupon_id,
            "pointsToUse": self.points_to_use,
            "pointsEarned": self.points_earned,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
            "timeline": list(self.timeline),
            "shippingAddress": dict(self.shipping_address) if self.shipping_address else None,
            "fulfillment": self.fulfillment.public(),
        }


def initial_holds(coupon_id: str | None, points_to_use: int) -> dict[Part, Hold]:
    """What a new order waits for: always stock; the coupon and points only when asked for."""
    return {
        Part.STOCK: Hold.PENDING,
        Part.COUPON: Hold.PENDING if coupon_id else Hold.NONE,
        Part.POINTS: Hold.PENDING if points_to_use > 0 else Hold.NONE,
    }


def all_held(holds: dict[Part, Hold]) -> bool:
    """Every owner asked has answered yes."""
    return all(h in (Hold.OK, Hold.NONE) for h in holds.values()) and holds.get(Part.STOCK) == Hold.OK


MAX_WORKFLOW_RERUNS = 5


def execution_name(order: Order) -> str:
    """The payment workflow execution of the order's current run: the order id, then ``<orderId>-run<n>`` for the
    sweeper's reruns (Standard executions keep their names for 90 days, so a rerun needs a new one)."""
    return order.order_id if order.workflow_run == 0 else f"{order.order_id}-run{order.workflow_run}"


class WorkflowState(StrEnum):
    MISSING = "MISSING"  # never started
    RUNNING = "RUNNING"
    ENDED = "ENDED"  # succeeded, failed, timed out or aborted


def can_cancel(order: Order) -> bool:
    return allowed(Step.CANCEL, *order.state)


def can_ship(order: Order) -> bool:
    return allowed(Step.SHIP, *order.state) and order.shipping_address is not None


def can_deliver(order: Order) -> bool:
    return allowed(Step.DELIVER, *order.state)


def outbox_stage(order: Order) -> str:
    """What the order's latest published change is: its fulfilment once it has shipped, else its status (the outbox
    acknowledges an event by this, so an acknowledgement of an earlier change never covers a later one)."""
    if order.fulfillment.status != FulfillmentStatus.UNFULFILLED:
        return order.fulfillment.status.value
    return order.status.value
