"""Event contracts (``events/``): the files are what ``scripts/gen_events.py`` generates from the producers' models;
every sample validates against its schema; every event the code publishes validates — each producer is driven on
in-memory fakes through whole order stories, on a bus that routes as template.yaml's rules do; and every consumer
accepts the sample (and the sample stripped to its required fields) of each event it is routed.

A failure here means a producer and its consumers no longer agree: fix the model or the consumer, bump
``eventVersion`` for a breaking change, then run ``make events``."""

from __future__ import annotations

import copy
import io
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from PIL import Image
from pydantic import ValidationError

from buynest.cart import messages as cart_messages
from buynest.cart.service import CartService
from buynest.core.auth import Principal
from buynest.core.events import BusEvent, EventModel
from buynest.core.retry import Backoff
from buynest.coupons import messages as coupon_messages
from buynest.coupons.domain import PERCENT
from buynest.coupons.service import CouponSaga, CouponService
from buynest.images.imaging import PillowInspector
from buynest.images.service import ImageProcessor, ImageService
from buynest.notifications import messages as notification_messages
from buynest.notifications.domain import Recipient
from buynest.notifications.service import NotificationService
from buynest.orders import messages as order_messages
from buynest.orders.domain import OrderStatus
from buynest.orders.schemas import PlaceOrder
from buynest.orders.service import OrderService, events_for_change
from buynest.payments import messages as payment_messages
from buynest.payments.domain import PaymentDeclined
from buynest.payments.service import PaymentService
from buynest.products import messages as stock_messages
from buynest.products.saga import StockSaga
from buynest.products.service import ProductService
from buynest.stats.messages import OrderSettled
from buynest.users import messages as points_messages
from buynest.users.saga import PointsSaga
from buynest.users.service import UserService
from scripts import gen_events
from scripts.gen_events import BY_DETAIL_TYPE, EVENTS, EVENTS_DIR, Event
from tests.conftest import load_handler
from tests.unit.cart_fakes import FakeCartRepository, FakeCatalogView
from tests.unit.coupon_fakes import FakeCouponRepository
from tests.unit.fakes import (
    FakeImageRepository,
    FakeObjectStorage,
    FakeProductRepository,
    FakeUserRepository,
    PlainHasher,
)
from tests.unit.notification_fakes import FakeMailer, FakeNotificationStore
from tests.unit.order_fakes import FakeCatalog, FakeOrderRepository, FakeWorkflow
from tests.unit.saga_fakes import FakePointsLedger, FakeStockLedger
from tests.unit.test_payments_service import FakePaymentRepository

STATS_KINDS: frozenset[str] = frozenset(load_handler("stats/on_order_settled").KINDS)

Reader = Callable[[str, Mapping[str, Any]], EventModel | None]

# Detail-types a rule routes by name before their producer exists (another change adds it with its schema): they
# are left out of the "every routed event has a schema" check until then.
AWAITED: frozenset[str] = frozenset()

# How each consumer (a handler of template.yaml, as gen_events names it) reads the data of a detail-type: the same
# model and filter its handler uses; None means the handler ignores the event.
READERS: dict[str, Reader] = {
    "functions/coupons/on_order_event.py": coupon_messages.parse_order_event,
    "functions/products/on_order_event.py": stock_messages.parse_order_event,
    "functions/users/on_order_event.py": points_messages.parse_order_event,
    "functions/payments/on_order_event.py": lambda detail_type, data: (
        payment_messages.OrderCancelled.model_validate(data)
        if detail_type == payment_messages.ORDER_CANCELLED
        else None
    ),
    "functions/stats/on_order_settled.py": lambda detail_type, data: (
        OrderSettled.model_validate(data) if detail_type in STATS_KINDS else None
    ),
    "functions/cart/on_order_confirmed.py": lambda detail_type, data: (
        cart_messages.OrderConfirmed.model_validate(data) if detail_type == cart_messages.ORDER_CONFIRMED else None
    ),
    "functions/orders/on_reply.py": lambda detail_type, data: (
        order_messages.REPLY_MODELS[detail_type].model_validate(data)
        if detail_type in order_messages.REPLY_PARTS
        else None
    ),
    "functions/notifications/on_event.py": notification_messages.parse_event,
}


# ---- the contract files ----


@cache
def schema(detail_type: str) -> dict[str, Any]:
    path = EVENTS_DIR / BY_DETAIL_TYPE[detail_type].schema_file
    assert path.is_file(), f"{path} is missing: run `make events`"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def sample(event: Event) -> dict[str, Any]:
    path = EVENTS_DIR / event.sample_file
    assert path.is_file(), f"{path} is missing: run `make events`"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def schema_errors(detail_type: str, detail: Any) -> list[str]:
    validator = Draft202012Validator(schema(detail_type))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(detail)'}: {e.message}" for e in validator.iter_errors(detail)]


def required_only(instance: Any, node: Mapping[str, Any], root: Mapping[str, Any]) -> Any:
    """``instance`` without any property its schema does not require (recursively): the least a producer at this
    version may send, which every consumer must still accept."""
    if "$ref" in node:
        return required_only(instance, root["$defs"][node["$ref"].rsplit("/", 1)[-1]], root)
    if isinstance(instance, dict) and "properties" in node:
        return {
            key: required_only(value, node["properties"][key], root)
            for key, value in instance.items()
            if key in node.get("required", ())
        }
    if isinstance(instance, list) and "items" in node:
        return [required_only(item, node["items"], root) for item in instance]
    return instance


def routed_pairs() -> list[tuple[str, Event]]:
    """(consumer, event) for every event each bus rule of template.yaml delivers to a consumer."""
    found = gen_events.routes()
    pairs = {(r.consumer, e.detail_type): (r.consumer, e) for r in found for e in EVENTS if r.matches(e)}
    return [pairs[key] for key in sorted(pairs)]


def pair_id(pair: tuple[str, Event]) -> str:
    consumer, event = pair
    return f"{consumer.removeprefix('functions/').removesuffix('.py')}<-{event.detail_type}"


# ---- (a) events/ is what the generator writes ----


def test_events_dir_is_what_the_generator_writes() -> None:
    problems = gen_events.drift()
    assert not problems, "events/ differs from the producers' models; run `make events`:\n  " + "\n  ".join(problems)


def test_the_generator_check_finds_drift_and_write_repairs_it(tmp_path: Path) -> None:
    assert len(gen_events.drift(tmp_path)) == 2 * len(EVENTS) + 1  # everything missing

    gen_events.write(tmp_path)
    assert gen_events.drift(tmp_path) == []

    (tmp_path / "OrderCreated.sample.json").write_text("{}\n")
    (tmp_path / "OrderReturned.schema.json").write_text("{}\n")
    assert gen_events.drift(tmp_path) == [
        "OrderCreated.sample.json: differs",
        "OrderReturned.schema.json: not generated (stale?)",
    ]
    gen_events.write(tmp_path)
    assert gen_events.drift(tmp_path) == []


def test_the_registry_names_each_event_once_with_its_producers_source() -> None:
    assert len(BY_DETAIL_TYPE) == len(EVENTS)
    for event in EVENTS:
        assert event.source == f"buynest.{event.producer.split('.')[1]}", event.detail_type
        assert all((gen_events.ROOT / path).is_file() for path in event.published_by), event.published_by


# ---- (b) every sample validates against its schema ----


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.detail_type)
def test_sample_validates_against_its_schema(event: Event) -> None:
    document = schema(event.detail_type)
    Draft202012Validator.check_schema(document)
    assert (document["x-source"], document["x-detail-type"]) == (event.source, event.detail_type)
    detail = sample(event)

    assert schema_errors(event.detail_type, detail) == []
    assert detail["metadata"]["eventVersion"] == document["x-event-version"]
    # the producer's own model reads it back unchanged, and so does the envelope every consumer parses first
    assert event.model.model_validate(detail["data"]).wire() == detail["data"]
    bus_event = {"id": "e-1", "source": event.source, "detail-type": event.detail_type, "detail": detail}
    assert BusEvent.model_validate(bus_event).detail.data == detail["data"]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.detail_type)
def test_schema_refuses_what_breaks_the_contract(event: Event) -> None:
    detail = sample(event)
    other_version = copy.deepcopy(detail)
    other_version["metadata"]["eventVersion"] = event.version + 1
    no_data = {"metadata": detail["metadata"]}
    missing_required = copy.deepcopy(detail)
    missing_required["data"].pop(schema(event.detail_type)["$defs"][event.model.__name__]["required"][0])

    for broken in (other_version, no_data, missing_required):
        assert schema_errors(event.detail_type, broken), broken


# ---- (c) every event the code publishes validates ----


class ContractBus:
    """The ``buynest`` bus for every producer at once: checks each entry against ``events/`` as it is put, and
    delivers it (``pump``) to the consumers template.yaml's rules route it to."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.violations: list[str] = []
        self.pending: list[dict[str, Any]] = []

    def publish(self, entries: Any) -> None:
        for entry in entries:
            entry = dict(entry)
            detail_type, source = entry["DetailType"], entry["Source"]
            if detail_type not in BY_DETAIL_TYPE:
                self.violations.append(f"{detail_type}: published but has no schema (add it to scripts/gen_events.py)")
            else:
                if source != schema(detail_type)["x-source"]:
                    expected = schema(detail_type)["x-source"]
                    self.violations.append(f"{detail_type}: published by {source}, its schema's source is {expected}")
                detail = json.loads(entry["Detail"])
                self.violations += [f"{detail_type} {e}" for e in schema_errors(detail_type, detail)]
            self.entries.append(entry)
            self.pending.append(entry)

    def detail_types(self) -> list[str]:
        return [e["DetailType"] for e in self.entries]

    def data(self, detail_type: str) -> list[dict[str, Any]]:
        return [json.loads(e["Detail"])["data"] for e in self.entries if e["DetailType"] == detail_type]


@dataclass
class Shop:
    """Every producer of the bus on in-memory fakes, wired to one ``ContractBus``. Orders' events go out as the
    outbox (the table's stream) makes them: ``events_for_change`` of each change of an order record."""

    bus: ContractBus = field(default_factory=ContractBus)
    settled: list[tuple[str, OrderSettled]] = field(default_factory=list)

    def __post_init__(self) -> None:
        now = float(int(time.time()))
        self.order_repo = FakeOrderRepository()
        self.workflow = FakeWorkflow()
        self.orders = OrderService(
            self.order_repo, FakeCatalog({"mug": 12_000, "apron": 29_000}), self.workflow, self.bus, clock=lambda: now
        )
        self.stock_ledger = FakeStockLedger({"mug": 10, "apron": 3})
        self.stock = StockSaga(self.stock_ledger, self.bus, backoff=Backoff(sleep=lambda _: None))
        self.coupon_repo = FakeCouponRepository()
        self.coupons = CouponService(self.coupon_repo, clock=lambda: now)
        self.coupons.create_campaign("TENPCT", PERCENT, 10, 100, int(now) + 3600, 10_000)
        self.coupon_saga = CouponSaga(self.coupon_repo, self.bus, clock=lambda: now)
        self.points_ledger = FakePointsLedger({"alice": 10_000, "bob": 500})
        self.points = PointsSaga(self.points_ledger, self.bus, backoff=Backoff(sleep=lambda _: None))
        ids = count(1)
        self.payments = PaymentService(FakePaymentRepository(), self.bus, new_payment_id=lambda: f"pay{next(ids)}")
        self.carts = CartService(FakeCartRepository(), FakeCatalogView({"mug": ("Mug", 12_000, 10)}))
        self.routes = gen_events.routes()
        self.users = UserService(FakeUserRepository(), PlainHasher(), lambda: None, events=self.bus)  # type: ignore[arg-type,return-value]
        self.mailer = FakeMailer()
        self.notification_store = FakeNotificationStore()
        for user_id in ("alice", "bob"):
            self.notification_store.save_recipient(Recipient(user_id, f"{user_id}@example.com", user_id.title()))
        self.notifications = NotificationService(self.notification_store, self.mailer, clock=lambda: now)

    # ---- orders' outbox and API ----

    def outbox(self, order_id: str, change: Callable[[], object]) -> None:
        before = self.order_repo.get(order_id)
        change()
        self.bus.publish(events_for_change(before, self.order_repo.get(order_id)))

    def place(self, user_id: str, lines: Mapping[str, int], coupon_id: str | None = None, points: int = 0) -> str:
        body = {
            "items": [{"productId": p, "quantity": q} for p, q in lines.items()],
            "couponId": coupon_id,
            "pointsToUse": points,
            "payment": {"method": "card", "token": "tok_ok"},
        }
        order = self.orders.place(user_id, PlaceOrder.model_validate_json(json.dumps(body)))
        self.bus.publish(events_for_change(None, order))
        return order.order_id

    def coupon_id(self, user_id: str) -> str:
        """The customer's TENPCT coupon (issued on first use; a released coupon is ISSUED again)."""
        held = self.coupon_repo.coupons.get((user_id, "TENPCT")) or self.coupons.issue("TENPCT", user_id)
        return held.coupon_id

    def status(self, order_id: str) -> OrderStatus:
        order = self.order_repo.get(order_id)
        assert order is not None
        return order.status

    # ---- the bus ----

    def pump(self) -> None:
        """Deliver every pending entry, and what that publishes, until the bus is quiet (in order, like FIFO
        queues)."""
        for _ in range(1_000):
            if not self.bus.pending:
                return
            entry = self.bus.pending.pop(0)
            kind, detail = entry["DetailType"], json.loads(entry["Detail"])
            delivered = BusEvent.model_validate(
                {"id": "e", "source": entry["Source"], "detail-type": kind, "detail": detail}
            )
            event = BY_DETAIL_TYPE.get(kind)
            if event is None:
                continue
            for consumer in sorted({r.consumer for r in self.routes if r.matches(event)}):
                parsed = READERS[consumer](kind, delivered.detail.data)
                if parsed is not None:
                    self.act(consumer, kind, parsed, delivered.detail.data, delivered.detail.metadata.correlation_id)
        raise AssertionError("the bus never went quiet")

    def act(self, consumer: str, kind: str, event: Any, data: Mapping[str, Any], correlation_id: str) -> None:
        """What the consumer's handler does with an event it has read."""
        match consumer:
            case "functions/coupons/on_order_event.py":
                self.coupon_saga.handle(event, correlation_id)
            case "functions/products/on_order_event.py":
                self.stock.handle(event, correlation_id)
            case "functions/users/on_order_event.py":
                self.points.handle(event, correlation_id)
            case "functions/payments/on_order_event.py":
                self.payments.refund(event.order_id, "ORDER_CANCELLED", correlation_id)
            case "functions/stats/on_order_settled.py":
                self.settled.append((kind, event))
            case "functions/cart/on_order_confirmed.py":
                self.carts.take_order(event)
            case "functions/orders/on_reply.py":
                self.outbox(event.order_id, lambda: self.orders.on_reply(kind, data, correlation_id))
            case "functions/notifications/on_event.py":
                self.notifications.handle(event, correlation_id)
            case _:
                raise AssertionError(f"{consumer}: add what its handler does to Shop.act")

    # ---- the payment workflow (Step Functions), task by task ----

    def pay(self, order_id: str, token: str = "tok_ok") -> None:
        order = self.order_repo.get(order_id)
        assert order is not None and order.status == OrderStatus.RESERVED
        try:
            payment = self.payments.authorize(order_id, order.user_id, order.amounts.total, token)
        except PaymentDeclined as declined:
            self.payments.record_failure(order_id, "PAYMENT_DECLINED", str(declined), order_id)
            self.outbox(order_id, lambda: self.orders.fail(order_id, "PAYMENT_DECLINED"))
            return
        self.payments.capture(order_id, payment.payment_id, order_id)
        self.outbox(order_id, lambda: self.orders.confirm(order_id, payment.payment_id))


def story_bought_then_cancelled(shop: Shop) -> None:
    """Alice buys two mugs and an apron with her coupon and points, is paid for, then cancels."""
    order_id = shop.place("alice", {"mug": 2, "apron": 1}, shop.coupon_id("alice"), points=2_000)
    shop.pump()
    assert shop.status(order_id) == OrderStatus.RESERVED

    shop.pay(order_id)
    shop.pump()
    assert shop.status(order_id) == OrderStatus.CONFIRMED

    shop.outbox(order_id, lambda: shop.orders.cancel(Principal("alice", "customer"), order_id))
    shop.pump()
    assert shop.status(order_id) == OrderStatus.CANCELLED
    assert shop.stock_ledger.stock == {"mug": 10, "apron": 3}
    assert [kind for kind, _ in shop.settled] == ["OrderConfirmed", "OrderCancelled"]


def story_refused(shop: Shop) -> None:
    """Two orders the owners refuse: one asks for more aprons than there are (its coupon and points are held, then
    given back; the late hold is answered with OrderFailed again), one for a coupon and points Bob does not have."""
    alices = shop.coupon_id("alice")
    short = shop.place("alice", {"apron": 5}, alices, points=1_000)
    shop.pump()
    assert shop.status(short) == OrderStatus.FAILED
    assert shop.points_ledger.balances["alice"] == 10_000

    unaffordable = shop.place("bob", {"mug": 1}, alices, points=5_000)
    shop.pump()
    assert shop.status(unaffordable) == OrderStatus.FAILED
    assert shop.bus.detail_types().count("OrderFailed") >= 3


def story_card_declined(shop: Shop) -> None:
    """Alice's card is declined: the payment fails, the order fails, and her points come back."""
    order_id = shop.place("alice", {"mug": 1}, points=1_000)
    shop.pump()
    shop.pay(order_id, token="tok_decline")
    shop.pump()
    assert shop.status(order_id) == OrderStatus.FAILED
    assert shop.points_ledger.balances["alice"] == 10_000


def story_images(shop: Shop) -> None:
    """An admin uploads a picture (READY) and a file that is not one (REJECTED)."""
    product_repo = FakeProductRepository()
    product = ProductService(product_repo).create("Mug", "A mug", 12_000, 5, "kitchen")
    repo, storage = FakeImageRepository(product_repo), FakeObjectStorage()
    service = ImageService(repo, storage)
    processor = ImageProcessor(repo, storage, PillowInspector(), shop.bus)
    picture = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 160, 90)).save(picture, "PNG")
    for data, expected in ((picture.getvalue(), "READY"), (os.urandom(2048), "REJECTED")):
        ticket = service.request_upload(product.product_id, "image/png", len(data))
        storage.upload(ticket.upload["fields"]["key"], data, "image/png")
        assert processor.process(ticket.upload["fields"]["key"], correlation_id="msg-1") == expected
    shop.pump()


def story_signed_up(shop: Shop) -> None:
    """Kim signs up: the notifications service learns where her emails go."""
    user = shop.users.signup("kim@example.com", "correct-horse", "Kim Minji")
    shop.pump()
    assert shop.notification_store.recipient(user.user_id) == Recipient(user.user_id, "kim@example.com", "Kim Minji")


def story_shipped_then_delivered(shop: Shop) -> None:
    """Bob buys a mug to his address; an admin ships it, then marks it delivered."""
    address = {"recipient": "Bob", "phone": "010-1234-5678", "line1": "1 Main St", "city": "Seoul",
               "postalCode": "04524", "country": "KR"}  # fmt: skip
    body = {"items": [{"productId": "mug", "quantity": 1}], "payment": {"method": "card", "token": "tok_ok"},
            "shippingAddress": address}  # fmt: skip
    order = shop.orders.place("bob", PlaceOrder.model_validate_json(json.dumps(body)))
    shop.bus.publish(events_for_change(None, order))
    shop.pump()
    shop.pay(order.order_id)
    shop.pump()
    shop.outbox(order.order_id, lambda: shop.orders.ship(order.order_id, "CJ Logistics", "CJ1"))
    shop.pump()
    shop.outbox(order.order_id, lambda: shop.orders.deliver(order.order_id))
    shop.pump()
    delivered = shop.order_repo.get(order.order_id)
    assert delivered is not None and delivered.fulfillment.status.value == "DELIVERED"
    assert [d["trackingNumber"] for d in shop.bus.data("OrderShipped")] == ["CJ1"]


STORIES = [
    story_bought_then_cancelled,
    story_refused,
    story_card_declined,
    story_images,
    story_signed_up,
    story_shipped_then_delivered,
]


@pytest.fixture
def shop() -> Shop:
    return Shop()


@pytest.mark.parametrize("story", STORIES, ids=lambda s: s.__name__.removeprefix("story_"))
def test_what_the_code_publishes_validates(shop: Shop, story: Callable[[Shop], None]) -> None:
    story(shop)

    assert shop.bus.entries
    assert shop.bus.violations == []


def test_the_stories_publish_every_event_of_the_contract(shop: Shop) -> None:
    for story in STORIES:
        story(shop)

    assert shop.bus.violations == []
    unpublished = sorted(BY_DETAIL_TYPE.keys() - set(shop.bus.detail_types()))
    assert unpublished == [], f"no story publishes {unpublished}: drive its producer here"
    assert {d["reason"] for d in shop.bus.data("UserPointsUpdated")} == {
        "ORDER_CONFIRMED",
        "ORDER_CANCELLED",
        "ORDER_FAILED",
    }
    assert {d["status"] for d in shop.bus.data("ImageProcessed")} == {"READY", "REJECTED"}


# ---- (d) every consumer accepts what it is routed ----


def test_every_routed_consumer_has_a_reader_and_every_routed_event_a_schema() -> None:
    found = gen_events.routes()
    assert {route.consumer for route in found} == set(READERS)
    for route in found:
        assert route.detail_types is not None and route.detail_types - AWAITED <= BY_DETAIL_TYPE.keys(), route
        matched = {e.detail_type for e in EVENTS if route.matches(e)}
        expected = route.detail_types - (AWAITED - BY_DETAIL_TYPE.keys())
        assert matched == expected, f"{route.rule} routes {expected - matched} from elsewhere"


@pytest.mark.parametrize("pair", routed_pairs(), ids=pair_id)
def test_consumer_accepts_the_producers_sample(pair: tuple[str, Event]) -> None:
    consumer, event = pair
    detail = sample(event)
    minimal = required_only(detail, schema(event.detail_type), schema(event.detail_type))
    assert schema_errors(event.detail_type, minimal) == []

    for variant, data in (("sample", detail["data"]), ("required fields only", minimal["data"])):
        try:
            parsed = READERS[consumer](event.detail_type, data)
        except ValidationError as exc:
            pytest.fail(f"{consumer} refuses the {variant} of {event.detail_type}: {exc}")
        assert parsed is not None, f"{consumer} ignores {event.detail_type}, yet template.yaml routes it there"
        if "orderId" in data:
            assert parsed.order_id == data["orderId"]  # type: ignore[attr-defined]
