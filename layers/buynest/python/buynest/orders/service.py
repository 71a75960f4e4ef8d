"""Orders use cases: placing, reading and cancelling orders (API), collecting the owners' replies (saga), and the
orders side of the payment workflow (Step Functions tasks) and of the timeout sweeper."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from buynest.core.auth import Principal
from buynest.core.events import EventModel, EventPublisher, event_of
from buynest.core.ids import new_id, now_iso
from buynest.core.observability import logger
from buynest.core.pagination import decode_cursor, encode_cursor
from buynest.core.payment import token_kind
from buynest.core.settings import IntValue, current
from buynest.orders import messages
from buynest.orders.domain import (
    FINAL,
    MAX_LINES,
    MAX_WORKFLOW_RERUNS,
    POINTS_RATE_PERCENT,
    REJECTION_REASON,
    Amounts,
    CartEmpty,
    FailureReason,
    FulfillmentStatus,
    InvalidOrder,
    Line,
    NotCancellable,
    NotConfirmable,
    NotDeliverable,
    NotShippable,
    Order,
    OrderNotFound,
    OrderStatus,
    Part,
    Step,
    WorkflowState,
    all_held,
    can_cancel,
    can_deliver,
    can_ship,
    check_payable,
    desk_keys,
    initial_holds,
    merge_lines,
    outbox_stage,
    points_earned,
    settle_amounts,
)
from buynest.orders.schemas import PlaceOrder

DESK_CURSOR_KEYS = frozenset({"userSort"})


class OrderRepository(Protocol):
    """Port to the orders table: every ``mark_*``/``record_*`` is conditional and returns None when the order was
    not in the state the transition needs (someone else moved it first)."""

    def create(self, order: Order, now_epoch: int) -> None: ...
    def get(self, order_id: str) -> Order | None: ...
    def list_for_user(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]: ...
    def list_desk(self, keys: list[str], limit: int, before: str | None) -> tuple[list[Order], bool]: ...
    def record_hold(self, order_id: str, part: Part, discount: int, now: str) -> Order | None: ...
    def record_rejection(self, order_id: str, part: Part, reason: str, now: str) -> Order | None: ...
    def mark_reserved(self, order_id: str, amounts: Amounts, now: str) -> Order | None: ...
    def mark_paid(self, order_id: str, payment_id: str | None, now: str) -> Order | None: ...
    def mark_confirmed(self, order_id: str, points_earned: int, now: str) -> Order | None: ...
    def mark_failed(self, order_id: str, reason: str, now: str, step: Step = Step.FAIL) -> Order | None: ...
    def mark_cancelled(self, order_id: str, user_id: str | None, now: str) -> Order | None: ...
    def mark_shipped(self, order_id: str, carrier: str, tracking_number: str, now: str) -> Order | None: ...
    def mark_delivered(self, order_id: str, now: str) -> Order | None: ...
    def next_workflow_run(self, order_id: str, run: int) -> Order | None: ...
    def mark_published(self, order_id: str, stage: str) -> bool: ...
    def open_order_ids(self, opened_by: int) -> Iterable[str]: ...
    def unpublished_order_ids(self, finished_by: int) -> Iterable[str]: ...


class Snapshot(Protocol):
    product_id: str
    name: str
    price: int


class Catalog(Protocol):
    """Port to product prices: raises ``UnknownProduct`` naming the first product that does not exist."""

    def prices(self, product_ids: list[str], skip_unknown: bool = False) -> Mapping[str, Snapshot]:
        """With ``skip_unknown``, products that do not exist are left out instead."""
        ...


class CartReader(Protocol):
    """Port to the customer's cart (owned by the cart service; read-only)."""

    def lines(self, user_id: str) -> list[tuple[str, int]]:
        """(productId, quantity) of each line, in the cart's order; empty without a cart."""
        ...


class AddressReader(Protocol):
    """Port to the customer's saved address (owned by the users service; read-only)."""

    def saved(self, user_id: str) -> dict[str, Any] | None:
        """The saved address in the contract's shape, or None."""
        ...


class PaymentWorkflow(Protocol):
    """Port to the payment workflow (Step Functions), one execution per run of an order (``execution_name``):
    ``start`` is idempotent per run."""

    def start(self, order: Order) -> None: ...
    def state(self, order: Order) -> WorkflowState: ...


class OrderService:
    """The orders service's rules on top of its ports."""

    def __init__(
        self,
        repo: OrderRepository,
        catalog: Catalog,
        payments: PaymentWorkflow,
        publisher: EventPublisher,
        clock: Callable[[], float] = time.time,
        pending_timeout: IntValue = 60,
        publish_grace: int = 300,
        points_rate: IntValue = POINTS_RATE_PERCENT,
        carts: CartReader | None = None,
        addresses: AddressReader | None = None,
    ) -> None:
        """``pending_timeout`` and ``points_rate`` are numbers or readers of the live settings, read when used."""
        self._carts = carts
        self._addresses = addresses
        self._repo = repo
        self._catalog = catalog
        self._payments = payments
        self._publisher = publisher
        self._clock = clock
        self.pending_timeout = pending_timeout
        self.publish_grace = publish_grace
        self.points_rate = points_rate

    # ---- API ----

    def place(self, user_id: str, request: PlaceOrder) -> Order:
        """Snapshot prices and record the order as PENDING; its ``OrderCreated`` goes out from the table's stream.
        Without ``items`` it orders the cart's lines (products deleted since leave it, as they leave the cart);
        without ``shippingAddress`` the saved address (if any) is copied onto it."""
        from_cart = request.items is None
        if request.items is not None:
            wanted = [(line.product_id, line.quantity) for line in request.items]
        else:
            wanted = self._carts.lines(user_id) if self._carts else []
        lines = merge_lines(wanted)
        if len(lines) > MAX_LINES:
            raise InvalidOrder(f"items: at most {MAX_LINES} different products per order (the cart has {len(lines)})")
        prices = self._catalog.prices([pid for pid, _ in lines], skip_unknown=from_cart) if lines else {}
        order_lines = [Line(pid, qty, prices[pid].price, prices[pid].name) for pid, qty in lines if pid in prices]
        if not order_lines:
            raise CartEmpty("the cart is empty: put products in it, or send items")
        if request.shipping_address is not None:
            address: dict[str, Any] | None = request.shipping_address.public()
        else:
            address = self._addresses.saved(user_id) if self._addresses else None
        subtotal = sum(line.amount for line in order_lines)
        check_payable(subtotal)
        if request.points_to_use > subtotal:
            raise InvalidOrder("pointsToUse: cannot be more than the order's subtotal")
        now = now_iso()
        order = Order(
            order_id=new_id(),
            user_id=user_id,
            status=OrderStatus.PENDING,
            lines=order_lines,
            amounts=Amounts(subtotal=subtotal),
            created_at=now,
            updated_at=now,
            coupon_id=request.coupon_id,
            points_to_use=request.points_to_use,
            token_kind=token_kind(request.payment.token).value,
            holds=initial_holds(request.coupon_id, request.points_to_use),
            timeline=[{"status": OrderStatus.PENDING.value, "at": now}],
            shipping_address=address,
        )
        self._repo.create(order, int(self._clock()))
        return order

    def get(self, principal: Principal, order_id: str) -> Order:
        """The order, for its owner or an admin; anyone else is told it does not exist."""
        order = self._repo.get(order_id)
        if order is None or not (principal.is_admin or order.user_id == principal.user_id):
            raise OrderNotFound(f"order {order_id} does not exist")
        return order

    def list_mine(self, principal: Principal, limit: int, cursor: str | None) -> tuple[list[Order], str | None]:
        return self._repo.list_for_user(principal.user_id, limit, cursor)

    def cancel(self, principal: Principal, order_id: str) -> Order:
        """Cancel a confirmed order not yet shipped, the caller's or (an admin) anyone's; owners give everything
        back on ``OrderCancelled``."""
        order = self.get(principal, order_id)
        if not can_cancel(order):
            raise NotCancellable(f"an order that is {_state(order)} cannot be cancelled")
        owner = None if principal.is_admin else principal.user_id
        cancelled = self._repo.mark_cancelled(order_id, owner, now_iso())
        if cancelled is None:
            raise NotCancellable(f"an order that is {self._now_state(order_id)} cannot be cancelled")
        return cancelled

    # ---- the admin order desk ----

    def ship(self, order_id: str, carrier: str, tracking_number: str) -> Order:
        """CONFIRMED + UNFULFILLED with a shipping address → SHIPPED; ``OrderShipped`` goes out from the stream."""
        order = self._existing(order_id)
        if not can_ship(order):
            why = "has no shipping address" if order.shipping_address is None else f"is {_state(order)}"
            raise NotShippable(f"an order that {why} cannot be shipped")
        shipped = self._repo.mark_shipped(order_id, carrier, tracking_number, now_iso())
        if shipped is None:
            raise NotShippable(f"an order that is {self._now_state(order_id)} cannot be shipped")
        return shipped

    def deliver(self, order_id: str) -> Order:
        """SHIPPED → DELIVERED; ``OrderDelivered`` goes out from the stream."""
        order = self._existing(order_id)
        if not can_deliver(order):
            raise NotDeliverable(f"an order that is {_state(order)} cannot be delivered (it has not shipped)")
        delivered = self._repo.mark_delivered(order_id, now_iso())
        if delivered is None:
            raise NotDeliverable(f"an order that is {self._now_state(order_id)} cannot be delivered")
        return delivered

    def desk(
        self,
        status: OrderStatus | None,
        fulfillment: FulfillmentStatus | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Order], str | None]:
        """Every customer's orders in the states asked for, newest first, a page at a time."""
        start = decode_cursor(cursor, DESK_CURSOR_KEYS)
        keys = desk_keys(status, fulfillment)
        if not keys:
            return [], None
        orders, more = self._repo.list_desk(keys, limit, start["userSort"]["S"] if start else None)
        if not (more and orders):
            return orders, None
        last = orders[-1]
        return orders, encode_cursor({"userSort": {"S": f"{last.created_at}#{last.order_id}"}})

    def _existing(self, order_id: str) -> Order:
        order = self._repo.get(order_id)
        if order is None:
            raise OrderNotFound(f"order {order_id} does not exist")
        return order

    def _now_state(self, order_id: str) -> str:
        current = self._repo.get(order_id)
        return _state(current) if current else "gone"

    # ---- saga: the owners' replies ----

    def on_reply(self, detail_type: str, data: Mapping[str, Any], correlation_id: str) -> None:
        """Record one owner's answer. All held → RESERVED and the payment workflow starts; any refusal → FAILED
        (``OrderFailed`` goes out from the stream). A hold that arrives for an order already failed is answered
        with ``OrderFailed`` again, so its owner gives it back."""
        part_name, ok = messages.REPLY_PARTS[detail_type]
        part = Part(part_name)
        reply = messages.REPLY_MODELS[detail_type].model_validate(data)
        order_id = reply.order_id  # type: ignore[attr-defined]
        now = now_iso()
        if ok:
            discount = int(getattr(reply, "discount", 0) or 0)
            updated = self._repo.record_hold(order_id, part, discount, now)
        else:
            updated = self._repo.record_rejection(order_id, part, REJECTION_REASON[part].value, now)
        if updated is None:
            self._late_reply(order_id, ok, correlation_id)
            return
        if ok and all_held(updated.holds):
            self._reserve(updated, now)

    def _reserve(self, order: Order, now: str) -> None:
        amounts = settle_amounts(order.amounts.subtotal, order.amounts.discount, order.points_to_use)
        reserved = self._repo.mark_reserved(order.order_id, amounts, now)
        if reserved is not None:
            self._payments.start(reserved)

    def _late_reply(self, order_id: str, ok: bool, correlation_id: str) -> None:
        order = self._repo.get(order_id)
        if order is None:
            return
        if order.status == OrderStatus.PENDING and ok and all_held(order.holds):
            self._reserve(order, now_iso())  # a redelivered last reply after a crash before RESERVED
        elif order.status == OrderStatus.RESERVED:
            self._payments.start(order)  # a redelivery after a crash before the workflow started
        elif ok and order.status in (OrderStatus.FAILED, OrderStatus.CANCELLED):
            self._publisher.publish([failed_event(order, correlation_id)])

    # ---- payment workflow tasks ----

    def confirm(self, order_id: str, payment_id: str | None) -> Order:
        """RESERVED → PAID → CONFIRMED once the payment is captured. Idempotent: a retried task (the first one
        committed but its answer was lost) gets the confirmed order again, also when it has been cancelled since
        (the cancel refunds). ``NotConfirmable`` when the order ended otherwise (e.g. timed out)."""
        now = now_iso()
        order = self._repo.mark_paid(order_id, payment_id, now) or self._repo.get(order_id)
        if order is None:
            raise NotConfirmable(f"order {order_id} does not exist")
        if order.status == OrderStatus.PAID:
            # the rate of this moment, kept on the order (pointsEarned): a cancel takes back exactly these points
            earned = points_earned(order.amounts.total, current(self.points_rate))
            confirmed = self._repo.mark_confirmed(order_id, earned, now)
            order = confirmed or self._repo.get(order_id) or order
        if order.status not in (OrderStatus.CONFIRMED, OrderStatus.CANCELLED):
            raise NotConfirmable(f"order {order_id} is {order.status.value}, not waiting for its payment")
        return order

    def fail(self, order_id: str, reason: str) -> Order | None:
        """The payment failed for good: FAILED with the reason (owners give everything back on ``OrderFailed``),
        unless the order is final already. Returns the order as it now stands (None if there is none): the
        workflow refunds a captured payment only when this says FAILED, never for an order that got CONFIRMED."""
        FailureReason(reason)
        failed = self._repo.mark_failed(order_id, reason, now_iso(), Step.FAIL)
        return failed or self._repo.get(order_id)

    # ---- the sweeper: every order ends final, every final event reaches the bus ----

    def sweep(self, pending_timeout: int | None = None) -> dict[str, int]:
        """Every open order opened before the timeout, page after page: PENDING ones end FAILED/TIMEOUT; RESERVED
        and PAID ones get their payment workflow started if it never was, or run again (a new execution: every
        task is idempotent per order) if it ended without finishing the order. Then every final order whose final
        event the outbox has not acknowledged within ``publish_grace`` gets it again, with its derived event id.
        Returns what it did."""
        now = int(self._clock())
        timeout = current(self.pending_timeout) if pending_timeout is None else pending_timeout
        done: Counter[str] = Counter(
            timedOut=0, workflowsStarted=0, workflowsRerun=0, running=0, needsOperator=0, republished=0
        )
        for order_id in self._repo.open_order_ids(now - timeout):
            order = self._repo.get(order_id)
            if order is None or order.status in FINAL:
                continue
            if order.status == OrderStatus.PENDING:
                if self._repo.mark_failed(order_id, FailureReason.TIMEOUT.value, now_iso(), Step.TIME_OUT):
                    done["timedOut"] += 1
            else:
                done[self._drive_payment(order)] += 1
        for order_id in self._repo.unpublished_order_ids(now - min(timeout, self.publish_grace)):
            order = self._repo.get(order_id)
            if order is not None and order.status in FINAL:
                self._publisher.publish(events_for_change(None, order, final_only=True))
                self._repo.mark_published(order_id, outbox_stage(order))
                done["republished"] += 1
        return dict(done)

    def _drive_payment(self, order: Order) -> str:
        """A RESERVED or PAID order past the timeout: what its payment workflow needs."""
        match self._payments.state(order):
            case WorkflowState.MISSING:
                self._payments.start(order)
                return "workflowsStarted"
            case WorkflowState.RUNNING:
                return "running"
        if order.workflow_run >= MAX_WORKFLOW_RERUNS:
            logger.error("payment workflow keeps ending without finishing the order; needs an operator",
                         extra={"orderId": order.order_id, "runs": order.workflow_run + 1})  # fmt: skip
            return "needsOperator"
        rerun = self._repo.next_workflow_run(order.order_id, order.workflow_run)
        if rerun is None:
            return "running"  # another sweeper claimed it, or the order moved on
        self._payments.start(rerun)
        return "workflowsRerun"


def _state(order: Order) -> str:
    if order.status == OrderStatus.CONFIRMED:
        return f"{order.status.value} and {order.fulfillment.status.value}"
    return order.status.value


# ---- the outbox: events from the orders table's stream ----


def lines_wire(order: Order) -> list[dict[str, Any]]:
    return [line.wire() for line in order.lines]


def _outbox_event(data: EventModel, order_id: str, correlation_id: str | None = None) -> dict[str, Any]:
    """An event of the outbox: named by its model, its id derived from the order (``<orderId>-<detailType>``, so a
    replayed stream record publishes the same event) and the order id as the flow's correlation id by default."""
    return event_of(data, correlation_id or order_id, event_id=f"{order_id}-{data.detail_type}")


def created_event(order: Order) -> dict[str, Any]:
    data = messages.OrderCreated(
        order_id=order.order_id,
        user_id=order.user_id,
        items=[messages.OrderLine.model_validate(w) for w in lines_wire(order)],
        subtotal=order.amounts.subtotal,
        coupon_id=order.coupon_id,
        points_to_use=order.points_to_use,
    )
    return _outbox_event(data, order.order_id)


def failed_event(order: Order, correlation_id: str | None = None) -> dict[str, Any]:
    data = messages.OrderFailed(
        order_id=order.order_id,
        user_id=order.user_id,
        items=[messages.OrderLine.model_validate(w) for w in lines_wire(order)],
        coupon_id=order.coupon_id,
        points_to_use=order.points_to_use,
        reason=order.failure_reason or FailureReason.TIMEOUT.value,
    )
    return _outbox_event(data, order.order_id, correlation_id)


def confirmed_event(order: Order) -> dict[str, Any]:
    data = messages.OrderConfirmed(
        order_id=order.order_id,
        user_id=order.user_id,
        items=[messages.OrderLine.model_validate(w) for w in lines_wire(order)],
        coupon_id=order.coupon_id,
        subtotal=order.amounts.subtotal,
        discount=order.amounts.discount,
        points_to_use=order.points_to_use,
        points_used=order.amounts.points_used,
        points_earned=order.points_earned,
        total=order.amounts.total,
    )
    return _outbox_event(data, order.order_id)


def cancelled_event(order: Order) -> dict[str, Any]:
    data = messages.OrderCancelled(
        order_id=order.order_id,
        user_id=order.user_id,
        items=[messages.OrderLine.model_validate(w) for w in lines_wire(order)],
        coupon_id=order.coupon_id,
        points_to_use=order.points_to_use,
        points_used=order.amounts.points_used,
        points_earned=order.points_earned,
        total=order.amounts.total,
    )
    return _outbox_event(data, order.order_id)


def shipped_event(order: Order) -> dict[str, Any]:
    data = messages.OrderShipped(
        order_id=order.order_id,
        user_id=order.user_id,
        carrier=order.fulfillment.carrier or "",
        tracking_number=order.fulfillment.tracking_number or "",
        shipped_at=order.fulfillment.shipped_at or order.updated_at,
    )
    return _outbox_event(data, order.order_id)


def delivered_event(order: Order) -> dict[str, Any]:
    data = messages.OrderDelivered(
        order_id=order.order_id,
        user_id=order.user_id,
        delivered_at=order.fulfillment.delivered_at or order.updated_at,
    )
    return _outbox_event(data, order.order_id)


FULFILLMENT_EVENTS = {FulfillmentStatus.SHIPPED: [shipped_event], FulfillmentStatus.DELIVERED: [delivered_event]}


def events_for_change(old: Order | None, new: Order | None, *, final_only: bool = False) -> Sequence[dict[str, Any]]:
    """The events one change of an order record stands for: a new order is ``OrderCreated``; reaching FAILED,
    CONFIRMED or CANCELLED is ``OrderFailed``/``OrderConfirmed``/``OrderCancelled``; fulfilment SHIPPED or
    DELIVERED is ``OrderShipped``/``OrderDelivered``; anything else none. With ``final_only``, every event of the
    order as it stands since it became final (none if it is not final): a shipped order's ``OrderConfirmed`` and
    ``OrderShipped``, a delivered one's ``OrderDelivered`` too."""
    if new is None:
        return []
    if old is None and not final_only:
        return [created_event(new)]
    if final_only and new.status == OrderStatus.CONFIRMED:
        shipped = new.fulfillment.status != FulfillmentStatus.UNFULFILLED
        delivered = new.fulfillment.status == FulfillmentStatus.DELIVERED
        return [
            confirmed_event(new),
            *([shipped_event(new)] if shipped else []),
            *([delivered_event(new)] if delivered else []),
        ]
    if old is not None and old.status == new.status:
        if old.fulfillment.status == new.fulfillment.status:
            return []
        return [build(new) for build in FULFILLMENT_EVENTS.get(new.fulfillment.status, [])]
    builders = {
        OrderStatus.FAILED: failed_event,
        OrderStatus.CONFIRMED: confirmed_event,
        OrderStatus.CANCELLED: cancelled_event,
    }
    build = builders.get(new.status)
    return [build(new)] if build else []
