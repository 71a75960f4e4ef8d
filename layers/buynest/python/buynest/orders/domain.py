"""Orders: the order's life and money rules, in plain Python.

``PENDING`` → ``RESERVED`` (stock, coupon and points held by their owners) → ``PAID`` → ``CONFIRMED``; or ``FAILED``
with a reason; a confirmed order may be ``CANCELLED``. ``CONFIRMED``, ``FAILED`` and ``CANCELLED`` are final."""

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

# One stock reservation is one TransactWriteItems (at most 100 items: the record and one per product), so 99; the
# cart's line limit (a live setting, at most buynest.core.settings.MAX_CART_LINES) never exceeds it.
MAX_LINES = 99
MAX_QUANTITY = 100
# the default of the live setting points-rate-percent (buynest.core.settings)
POINTS_RATE_PERCENT = 1


class OrderError(BuynestError):
    """Base of the orders service's errors."""


class OrderNotFound(OrderError, NotFound):
    pass


class UnknownProduct(OrderError, NotFound):
    pass


class NotCancellable(OrderError, Conflict):
    code = "NOT_CANCELLABLE"


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


def points_earned(total: int, rate_percent: int = POINTS_RATE_PERCENT) -> int:
    """``rate_percent`` % of what the customer paid, rounded down (1 % unless the shop changed the setting)."""
    return total * rate_percent // 100


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


def can_cancel(status: OrderStatus) -> bool:
    return status == OrderStatus.CONFIRMED
