"""`make events`: writes ``events/`` — a JSON Schema and one sample ``detail`` for every event on the bus, and a
README that lists them — from the producers' own Pydantic models. ``--check`` writes nothing and exits 1 when the
files on disk differ from what it would write (tests/unit/test_event_contracts.py runs the same comparison).

The registry below is the list of events: each event's schema comes from the model its producer publishes (never
from a consumer's tolerant reading model), with the envelope of ``buynest.core.events``. Samples use fixed ids and
times, so the output is the same on every run. The consumers column of the README is read from template.yaml's bus
rules, so it says what is actually routed where."""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "layers" / "buynest" / "python"))

import yaml
from pydantic import BaseModel

from buynest.core.events import EVENT_VERSION, EventEnvelope, EventMetadata, EventModel
from buynest.coupons import messages as coupons
from buynest.images import messages as images
from buynest.orders import messages as orders
from buynest.payments import messages as payments
from buynest.products import messages as products
from buynest.users import messages as users

ROOT = Path(__file__).resolve().parent.parent
EVENTS_DIR = ROOT / "events"
TEMPLATE = ROOT / "template.yaml"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
BUS = "EventBus"


@dataclass(frozen=True, eq=False)
class Event:
    """One event on the bus: its ``detail-type``, ``source``, the producer's model of ``data``, the module (and the
    functions) that publish it, and a realistic sample of ``data`` with the metadata it would carry (a fresh-looking
    ULID as its id unless the producer derives one)."""

    detail_type: str
    source: str
    model: type[EventModel]
    producer: str
    published_by: tuple[str, ...]
    sample: EventModel
    correlation_id: str
    occurred_at: str
    event_id: str | None = None
    version: int = EVENT_VERSION

    @property
    def schema_file(self) -> str:
        return f"{self.detail_type}.schema.json"

    @property
    def sample_file(self) -> str:
        return f"{self.detail_type}.sample.json"

    @property
    def schema_id(self) -> str:
        return f"urn:buynest:event:{self.detail_type}:v{self.version}"

    def sample_detail(self) -> dict[str, Any]:
        """The sample as the ``detail`` of a bus event: the contract's envelope around the producer's model."""
        metadata = EventMetadata(
            event_id=self.event_id or _ulid(self.occurred_at, f"event:{self.detail_type}"),
            event_version=self.version,
            correlation_id=self.correlation_id,
            occurred_at=self.occurred_at,
        )
        envelope: Any = EventEnvelope[self.model]  # type: ignore[name-defined]
        detail: dict[str, Any] = envelope(metadata=metadata, data=self.sample).wire()
        return detail

    def meaning(self) -> str:
        """The producer model's docstring, on one line."""
        return " ".join((self.model.__doc__ or "").split())


# ---- one story for the samples: a customer buys two mugs and an apron with a coupon and points, then cancels;
# ---- another order fails (out of stock, coupon and points refused, or the card declined).

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _at(clock: str, day: int = 27) -> str:
    """A timestamp of the samples' story (late November 2026), in the contract's format."""
    return f"2026-11-{day:02d}T{clock}Z"


def _ulid(at: str, label: str) -> str:
    """A fixed ULID, as ``buynest.core.ids.new_id`` would have made it at ``at``: the time part is real, the random
    part is derived from ``label`` (so samples are the same on every run)."""
    millis = int(datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp() * 1000)
    value = (millis << 80) | int.from_bytes(hashlib.sha256(label.encode()).digest()[:10], "big")
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


USER = _ulid(_at("08:12:40", day=2), "user")
MUG = _ulid(_at("16:05:11", day=20), "product:mug")
APRON = _ulid(_at("16:05:12", day=20), "product:apron")
COUPON = _ulid(_at("09:00:03", day=25), "coupon")
ORDER = _ulid(_at("10:00:00"), "order")
PAYMENT = _ulid(_at("10:00:02"), "payment")
FAILED_ORDER = _ulid(_at("11:30:00"), "order:failed")
SHIPPED_ORDER = _ulid(_at("12:00:00"), "order:shipped")
IMAGE = _ulid(_at("08:42:15", day=26), "image")
IMAGE_UPLOAD_MESSAGE = "7d1c2f0e-5b9a-4c3e-9f21-6a8e4b0d3c57"  # the processor's correlation id: the SQS message id


LINES = [
    orders.OrderLine(product_id=MUG, quantity=2, unit_price=12_000, name="Stoneware Mug"),
    orders.OrderLine(product_id=APRON, quantity=1, unit_price=29_000, name="Linen Apron"),
]
SUBTOTAL = 53_000
DISCOUNT = 5_300  # the coupon takes 10 %
POINTS_TO_USE = 2_000
TOTAL = SUBTOTAL - DISCOUNT - POINTS_TO_USE  # 45,700 KRW paid
POINTS_EARNED = TOTAL // 100
BALANCE_AFTER_CONFIRM = 10_000 - POINTS_TO_USE + POINTS_EARNED
FAILED_LINES = [orders.OrderLine(product_id=APRON, quantity=40, unit_price=29_000, name="Linen Apron")]


def _order_event(detail_type: str, model: type[EventModel], sample: EventModel, order_id: str, at: str) -> Event:
    """An event of the orders outbox: its id is derived from the order (``<orderId>-<detailType>``) and the order id
    is the flow's correlation id, as ``buynest.orders.service`` makes them."""
    return Event(
        detail_type=detail_type,
        source=orders.SOURCE,
        model=model,
        producer="buynest.orders.service",
        published_by=("functions/orders/publish_events.py", "functions/orders/on_reply.py")
        if detail_type == "OrderFailed"
        else ("functions/orders/publish_events.py",),
        sample=sample,
        event_id=f"{order_id}-{detail_type}",
        correlation_id=order_id,
        occurred_at=at,
    )


EVENTS: tuple[Event, ...] = (
    _order_event(
        "OrderCreated",
        orders.OrderCreated,
        orders.OrderCreated(
            order_id=ORDER,
            user_id=USER,
            items=LINES,
            subtotal=SUBTOTAL,
            coupon_id=COUPON,
            points_to_use=POINTS_TO_USE,
        ),
        ORDER,
        _at("10:00:00"),
    ),
    Event(
        detail_type="StockReserved",
        source=products.SOURCE,
        model=products.StockReserved,
        producer="buynest.products.saga",
        published_by=("functions/products/on_order_event.py",),
        sample=products.StockReserved(order_id=ORDER),
        correlation_id=ORDER,
        occurred_at=_at("10:00:01"),
    ),
    Event(
        detail_type="StockRejected",
        source=products.SOURCE,
        model=products.StockRejected,
        producer="buynest.products.saga",
        published_by=("functions/products/on_order_event.py",),
        sample=products.StockRejected(order_id=FAILED_ORDER, reason=products.OUT_OF_STOCK, product_id=APRON),
        correlation_id=FAILED_ORDER,
        occurred_at=_at("11:30:01"),
    ),
    Event(
        detail_type="CouponReserved",
        source=coupons.SOURCE,
        model=coupons.CouponReserved,
        producer="buynest.coupons.service",
        published_by=("functions/coupons/on_order_event.py",),
        sample=coupons.CouponReserved(order_id=ORDER, coupon_id=COUPON, discount=DISCOUNT),
        correlation_id=ORDER,
        occurred_at=_at("10:00:01"),
    ),
    Event(
        detail_type="CouponRejected",
        source=coupons.SOURCE,
        model=coupons.CouponRejected,
        producer="buynest.coupons.service",
        published_by=("functions/coupons/on_order_event.py",),
        sample=coupons.CouponRejected(order_id=FAILED_ORDER, coupon_id=COUPON, reason="COUPON_ALREADY_USED"),
        correlation_id=FAILED_ORDER,
        occurred_at=_at("11:30:01"),
    ),
    Event(
        detail_type="PointsReserved",
        source=users.SOURCE,
        model=users.PointsReserved,
        producer="buynest.users.saga",
        published_by=("functions/users/on_order_event.py",),
        sample=users.PointsReserved(order_id=ORDER, points=POINTS_TO_USE),
        correlation_id=ORDER,
        occurred_at=_at("10:00:01"),
    ),
    Event(
        detail_type="PointsRejected",
        source=users.SOURCE,
        model=users.PointsRejected,
        producer="buynest.users.saga",
        published_by=("functions/users/on_order_event.py",),
        sample=users.PointsRejected(order_id=FAILED_ORDER, reason=users.INSUFFICIENT_POINTS),
        correlation_id=FAILED_ORDER,
        occurred_at=_at("11:30:01"),
    ),
    Event(
        detail_type="PaymentCaptured",
        source=payments.SOURCE,
        model=payments.PaymentCaptured,
        producer="buynest.payments.service",
        published_by=("functions/payments/capture.py",),
        sample=payments.PaymentCaptured(order_id=ORDER, payment_id=PAYMENT, amount=TOTAL),
        correlation_id=ORDER,
        occurred_at=_at("10:00:03"),
    ),
    Event(
        detail_type="PaymentFailed",
        source=payments.SOURCE,
        model=payments.PaymentFailed,
        producer="buynest.payments.service",
        published_by=("functions/payments/record_failure.py",),
        sample=payments.PaymentFailed(order_id=FAILED_ORDER, reason="PAYMENT_DECLINED"),
        correlation_id=FAILED_ORDER,
        occurred_at=_at("11:30:03"),
    ),
    Event(
        detail_type="PaymentRefunded",
        source=payments.SOURCE,
        model=payments.PaymentRefunded,
        producer="buynest.payments.service",
        published_by=("functions/payments/refund.py", "functions/payments/on_order_event.py"),
        sample=payments.PaymentRefunded(order_id=ORDER, payment_id=PAYMENT, amount=TOTAL),
        correlation_id=ORDER,
        occurred_at=_at("09:15:02", day=28),
    ),
    _order_event(
        "OrderConfirmed",
        orders.OrderConfirmed,
        orders.OrderConfirmed(
            order_id=ORDER,
            user_id=USER,
            items=LINES,
            coupon_id=COUPON,
            subtotal=SUBTOTAL,
            discount=DISCOUNT,
            points_to_use=POINTS_TO_USE,
            points_used=POINTS_TO_USE,
            points_earned=POINTS_EARNED,
            total=TOTAL,
        ),
        ORDER,
        _at("10:00:04"),
    ),
    _order_event(
        "OrderFailed",
        orders.OrderFailed,
        orders.OrderFailed(
            order_id=FAILED_ORDER,
            user_id=USER,
            items=FAILED_LINES,
            coupon_id=COUPON,
            points_to_use=POINTS_TO_USE,
            reason="OUT_OF_STOCK",
        ),
        FAILED_ORDER,
        _at("11:30:02"),
    ),
    _order_event(
        "OrderCancelled",
        orders.OrderCancelled,
        orders.OrderCancelled(
            order_id=ORDER,
            user_id=USER,
            items=LINES,
            coupon_id=COUPON,
            points_to_use=POINTS_TO_USE,
            points_used=POINTS_TO_USE,
            points_earned=POINTS_EARNED,
            total=TOTAL,
        ),
        ORDER,
        _at("09:15:00", day=28),
    ),
    _order_event(
        "OrderShipped",
        orders.OrderShipped,
        orders.OrderShipped(
            order_id=SHIPPED_ORDER,
            user_id=USER,
            carrier="CJ Logistics",
            tracking_number="CJ1234567890",
            shipped_at=_at("14:00:00", day=28),
        ),
        SHIPPED_ORDER,
        _at("14:00:01", day=28),
    ),
    _order_event(
        "OrderDelivered",
        orders.OrderDelivered,
        orders.OrderDelivered(order_id=SHIPPED_ORDER, user_id=USER, delivered_at=_at("11:20:00", day=29)),
        SHIPPED_ORDER,
        _at("11:20:01", day=29),
    ),
    Event(
        detail_type="UserPointsUpdated",
        source=users.SOURCE,
        model=users.UserPointsUpdated,
        producer="buynest.users.saga",
        published_by=("functions/users/on_order_event.py",),
        sample=users.UserPointsUpdated(
            user_id=USER,
            order_id=ORDER,
            delta=POINTS_EARNED,
            points=BALANCE_AFTER_CONFIRM,
            reason="ORDER_CONFIRMED",
        ),
        correlation_id=ORDER,
        occurred_at=_at("10:00:05"),
    ),
    Event(
        detail_type=users.USER_SIGNED_UP,
        source=users.SOURCE,
        model=users.UserSignedUp,
        producer="buynest.users.service",
        published_by=("functions/users/signup.py", "functions/users/make_admin.py"),
        sample=users.UserSignedUp(user_id=USER, email="kim@example.com", name="Kim Minji"),
        correlation_id=USER,
        event_id=f"signup-{USER}",
        occurred_at=_at("08:12:40", day=2),
    ),
    Event(
        detail_type=images.IMAGE_PROCESSED,
        source=images.SOURCE,
        model=images.ImageProcessed,
        producer="buynest.images.service",
        published_by=("functions/images/process_image.py",),
        sample=images.ImageProcessed(product_id=MUG, image_id=IMAGE, status="READY", width=1200, height=900),
        correlation_id=IMAGE_UPLOAD_MESSAGE,
        occurred_at=_at("08:42:17", day=26),
    ),
)

BY_DETAIL_TYPE: Mapping[str, Event] = {event.detail_type: event for event in EVENTS}


# ---- rendering ----


def schema_of(event: Event) -> dict[str, Any]:
    """The JSON Schema of the event's whole ``detail`` (``{metadata, data}``), from the producer's model as it
    serializes (camelCase aliases), with the event's identity on top and its version pinned in the metadata."""
    envelope: type[BaseModel] = EventEnvelope[event.model]  # type: ignore[name-defined]
    generated = envelope.model_json_schema(by_alias=True, mode="serialization")
    generated["$defs"]["EventMetadata"]["properties"]["eventVersion"]["const"] = event.version
    generated.pop("title", None)
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": event.schema_id,
        "title": event.detail_type,
        "description": f"`{event.detail_type}` from `{event.source}`, its whole `detail`. {_markdown(event.meaning())}",
        "x-source": event.source,
        "x-detail-type": event.detail_type,
        "x-event-version": event.version,
        "x-producer": event.producer,
        **generated,
    }


def _markdown(text: str) -> str:
    """A docstring's reStructuredText literals as Markdown ones, safe in a table cell."""
    return re.sub(r"``([^`]+)``", r"`\1`", text).replace("|", "\\|")


def dump(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


class _CfnLoader(yaml.SafeLoader):
    """template.yaml with CloudFormation's short-form tags (``!Ref X`` -> ``{"Ref": "X"}``, ``!GetAtt`` ...)."""


def _cfn_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


@cache
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # noqa: S506 (a SafeLoader)
    return loaded


def _target_name(arn: Any) -> str | None:
    """The logical id a rule target's ``Arn`` (``!GetAtt X.Arn``) points at."""
    if isinstance(arn, Mapping) and "Fn::GetAtt" in arn:
        ref = arn["Fn::GetAtt"]
        return str(ref[0] if isinstance(ref, list) else str(ref).split(".")[0])
    return None


def _handler_file(properties: Mapping[str, Any]) -> str:
    code = str(properties.get("CodeUri") or template().get("Globals", {}).get("Function", {}).get("CodeUri", ""))
    module = str(properties["Handler"]).rsplit(".", 1)[0]
    return f"{code.rstrip('/')}/{module}.py"


@dataclass(frozen=True)
class Route:
    """A bus rule of template.yaml: what it matches and the handler that ends up reading it."""

    rule: str
    sources: frozenset[str] | None
    detail_types: frozenset[str] | None
    consumer: str

    def matches(self, event: Event) -> bool:
        return (self.sources is None or event.source in self.sources) and (
            self.detail_types is None or event.detail_type in self.detail_types
        )


def routes() -> list[Route]:
    """Every rule on the buynest bus with the consumer of each target: the function reading the target queue (or
    the target function), else the target's logical id."""
    resources: dict[str, Any] = template()["Resources"]
    queue_readers: dict[str, str] = {}
    for res in resources.values():
        if res.get("Type") != "AWS::Serverless::Function":
            continue
        for source in (res["Properties"].get("Events") or {}).values():
            if source.get("Type") == "SQS":
                queue = _target_name(source["Properties"]["Queue"])
                if queue:
                    queue_readers[queue] = _handler_file(res["Properties"])
    found = []
    for name, res in sorted(resources.items()):
        props = res.get("Properties", {})
        if res.get("Type") != "AWS::Events::Rule" or props.get("EventBusName") != {"Ref": BUS}:
            continue
        pattern = props.get("EventPattern") or {}
        for target in props.get("Targets", []):
            target_name = _target_name(target.get("Arn")) or str(target.get("Id"))
            target_res = resources.get(target_name, {})
            if target_res.get("Type") == "AWS::Serverless::Function":
                consumer = _handler_file(target_res["Properties"])
            else:
                consumer = queue_readers.get(target_name, target_name)
            found.append(
                Route(
                    rule=name,
                    sources=_values(pattern, "source"),
                    detail_types=_values(pattern, "detail-type"),
                    consumer=consumer,
                )
            )
    return found


def _values(pattern: Mapping[str, Any], key: str) -> frozenset[str] | None:
    """The values of ``key`` (``source``, ``detail-type``) a pattern can match: its own list, or the union over its
    ``$or`` branches (None: any)."""
    if key in pattern:
        return frozenset(pattern[key])
    branches = pattern.get("$or")
    if not branches:
        return None
    per_branch = [_values(branch, key) for branch in branches]
    if any(types is None for types in per_branch):
        return None
    return frozenset().union(*(t for t in per_branch if t is not None))


def consumers_of(event: Event, found: Sequence[Route]) -> list[str]:
    return sorted({route.consumer for route in found if route.matches(event)})


def readme() -> str:
    found = routes()
    rows = []
    for event in EVENTS:
        consumers = "<br>".join(f"`{c}`" for c in consumers_of(event, found)) or "none yet"
        producer = "<br>".join([f"`{event.producer}`", *(f"via `{f}`" for f in event.published_by)])
        rows.append(
            f"| [{event.detail_type}]({event.schema_file}) ([sample]({event.sample_file})) | `{event.source}` "
            f"| {producer} | {consumers} | {_markdown(event.meaning())} |"
        )
    table = "\n".join(rows)
    return f"""# Events on the `buynest` bus

Generated by `make events` (`scripts/gen_events.py`) — do not edit by hand; `make test-unit` fails when these
files differ from what the generator writes.

Every event's `detail` is `{{"metadata": {{eventId, eventVersion, correlationId, occurredAt}}, "data": {{...}}}}`
(`buynest.core.events`); `source` is `buynest.<service>` and `detail-type` a past-tense name. For each event,
`<DetailType>.schema.json` is the JSON Schema (draft 2020-12) of the whole `detail`, generated from the model the
producer publishes (`x-source`, `x-event-version` and `x-producer` say who sends which version), and
`<DetailType>.sample.json` is one realistic `detail`.

Versioning: adding a field keeps `eventVersion` (consumers ignore fields they do not know); removing or renaming
one needs a new version. Consumers read with their own tolerant models; `tests/unit/test_event_contracts.py`
checks that every sample validates, that what the code publishes validates, and that every consumer accepts the
sample (and the sample stripped to its required fields) of each event it is routed.

Consumers are read from the bus rules in `template.yaml`.

| Event | Source | Producer | Consumers | Meaning |
| --- | --- | --- | --- | --- |
{table}
"""


def render() -> dict[str, str]:
    """Every file of ``events/`` by name, as it should be."""
    files = {"README.md": readme()}
    for event in EVENTS:
        files[event.schema_file] = dump(schema_of(event))
        files[event.sample_file] = dump(event.sample_detail())
    return files


def drift(directory: Path = EVENTS_DIR) -> list[str]:
    """What differs between ``directory`` and :func:`render`: files changed, missing, or not generated."""
    expected = render()
    present = {p.name for p in directory.iterdir() if p.is_file()} if directory.is_dir() else set()
    problems = [f"{name}: missing" for name in sorted(expected.keys() - present)]
    problems += [
        f"{name}: differs"
        for name in sorted(expected.keys() & present)
        if (directory / name).read_text(encoding="utf-8") != expected[name]
    ]
    problems += [f"{name}: not generated (stale?)" for name in sorted(present - expected.keys())]
    return problems


def write(directory: Path = EVENTS_DIR) -> list[str]:
    """Write every file that differs and remove the files the generator no longer makes; returns what changed."""
    directory.mkdir(exist_ok=True)
    changed = drift(directory)
    expected = render()
    for name, text in expected.items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for path in directory.iterdir():
        if path.is_file() and path.name not in expected:
            path.unlink()
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if events/ is not up to date")
    args = parser.parse_args(argv)
    if args.check:
        problems = drift()
        for problem in problems:
            print(f"events/{problem}", file=sys.stderr)
        if problems:
            print("events/ is out of date: run `make events`", file=sys.stderr)
            return 1
        print(f"events/ is up to date ({len(EVENTS)} events)")
        return 0
    changed = write()
    print(f"events/: {len(EVENTS)} events, {len(changed)} file(s) changed" + "".join(f"\n  {c}" for c in changed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
