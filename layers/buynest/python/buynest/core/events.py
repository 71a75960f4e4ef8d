"""Events on the ``buynest`` bus: the contract's envelope, a builder for PutEvents entries, the publisher port with
its EventBridge adapter, and the model of an event as a rule's target receives it (rule -> queue -> function).

Every ``detail`` is ``{"metadata": {eventId, eventVersion, correlationId, occurredAt}, "data": {...}}``; ``source`` is
``buynest.<service>`` and ``detail-type`` a past-tense name. Adding a field keeps ``eventVersion``; removing or
renaming one needs a new version. Nothing here knows any particular service.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from itertools import batched
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from buynest.core.config import env_str
from buynest.core.ids import new_id, now_iso
from buynest.core.lazy import Lazy
from buynest.core.observability import count_published

EVENT_VERSION = 1
MAX_ENTRIES_PER_CALL = 10
_SOURCE = re.compile(r"^buynest\.[a-z][a-z0-9-]*$")
_DETAIL_TYPE = re.compile(r"^[A-Z][A-Za-z0-9]*$")


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields are ignored so that a producer may add fields
    without breaking its consumers."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore")

    def wire(self) -> dict[str, Any]:
        """The JSON form, as it travels in ``data``."""
        return self.model_dump(mode="json", by_alias=True)


class EventModel(WireModel):
    """Base of event payloads. The model of a whole event's ``data`` names it: ``class StockReserved(EventModel,
    event="StockReserved", source="buynest.products")`` is the ``data`` of that detail-type from that source, at
    ``version`` (default 1). The producer's own model lives in the messages module of the service its source names;
    a consumer's reading model names the same event and the one source it trusts. Parts of a payload name nothing."""

    detail_type: ClassVar[str] = ""
    event_source: ClassVar[str] = ""
    event_version: ClassVar[int] = EVENT_VERSION

    def __init_subclass__(cls, *, event: str = "", source: str = "", version: int = EVENT_VERSION, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if event:
            if not _DETAIL_TYPE.match(event) or not _SOURCE.match(source):
                raise ValueError(f"{cls.__name__}: event {event!r} needs a PascalCase name and a buynest.<x> source")
            cls.detail_type = event
            cls.event_source = source
            cls.event_version = version


class EventMetadata(WireModel):
    event_id: str = Field(min_length=1, max_length=128)
    event_version: int = Field(ge=1)
    correlation_id: str = Field(min_length=1, max_length=128)
    occurred_at: str = Field(min_length=1, max_length=64)


class EventEnvelope[D](WireModel):
    """An event's ``detail``; ``D`` is the model of its ``data``."""

    metadata: EventMetadata
    data: D


def make_event(
    source: str,
    detail_type: str,
    data: EventModel | Mapping[str, Any],
    correlation_id: str | None = None,
    *,
    event_version: int = EVENT_VERSION,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A PutEvents entry (without ``EventBusName``, which the publisher adds). ``correlation_id`` carries the id of
    the flow this event belongs to (for replies: the triggering event's); a new flow gets a fresh one. ``event_id``
    is fresh unless the caller derives one (so a re-sent event keeps its id)."""
    if not _SOURCE.match(source):
        raise ValueError(f"event source must look like 'buynest.<service>', got {source!r}")
    if not _DETAIL_TYPE.match(detail_type):
        raise ValueError(f"detail-type must be a PascalCase past-tense name, got {detail_type!r}")
    metadata = EventMetadata(
        event_id=event_id or new_id(),
        event_version=event_version,
        correlation_id=correlation_id or new_id(),
        occurred_at=now_iso(),
    )
    payload = data.wire() if isinstance(data, WireModel) else dict(data)
    detail = {"metadata": metadata.wire(), "data": payload}
    return {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail, separators=(",", ":"))}


def event_of(data: EventModel, correlation_id: str | None = None, *, event_id: str | None = None) -> dict[str, Any]:
    """The PutEvents entry of an event model: its source, detail-type and version are the model's own."""
    if not data.detail_type:
        raise ValueError(f"{type(data).__name__} is not the model of an event")
    return make_event(
        data.event_source, data.detail_type, data, correlation_id, event_version=data.event_version, event_id=event_id
    )


class EventReader[E: EventModel]:
    """How a consumer reads the events it acts on: each model names its detail-type and the one source trusted to
    send it. ``trusted`` feeds ``buynest.core.consumer.BusConsumer``; ``parse`` gives the ``data`` as its model, None
    for a detail-type not read here. A malformed payload raises ``pydantic.ValidationError`` (the record fails and,
    after retries, lands in the DLQ)."""

    def __init__(self, *models: type[E]) -> None:
        unnamed = [model.__name__ for model in models if not model.detail_type]
        if unnamed:
            raise ValueError(f"not event models: {unnamed}")
        self.models: Mapping[str, type[E]] = {model.detail_type: model for model in models}
        self.trusted: Mapping[str, str] = {model.detail_type: model.event_source for model in models}

    def parse(self, detail_type: str, data: Mapping[str, Any]) -> E | None:
        model = self.models.get(detail_type)
        return model.model_validate(data) if model else None


class EventPublisher(Protocol):
    """Port for putting events on the bus. ``publish`` returns only when every entry was accepted, else raises."""

    def publish(self, entries: Sequence[Mapping[str, Any]]) -> None: ...


class EventPublishError(RuntimeError):
    """The bus refused some entries; the caller's work is retried (SQS redelivery), so nothing is lost."""


def _build_events_client() -> Any:
    import boto3

    return boto3.client("events")


_events_client = Lazy(_build_events_client)
set_events_client = _events_client.set


class EventBridgePublisher:
    """EventPublisher on EventBridge: PutEvents in chunks of 10 on one bus (``EVENT_BUS_NAME`` unless given). The
    boto3 client is created on first use and kept for the container's life."""

    def __init__(self, bus_name: str | None = None) -> None:
        self.bus_name = bus_name or env_str("EVENT_BUS_NAME")

    def publish(self, entries: Sequence[Mapping[str, Any]]) -> None:
        for chunk in batched(entries, MAX_ENTRIES_PER_CALL, strict=False):
            response = _events_client().put_events(Entries=[{**e, "EventBusName": self.bus_name} for e in chunk])
            failed = int(response.get("FailedEntryCount") or 0)
            if failed:
                codes = sorted({r.get("ErrorCode", "?") for r in response.get("Entries", []) if r.get("ErrorCode")})
                raise EventPublishError(f"{failed} of {len(chunk)} events refused by bus {self.bus_name}: {codes}")
            count_published(chunk)


class BusEvent(BaseModel):
    """An event as EventBridge hands it to a target, with the envelope parsed and ``data`` left raw for the consumer
    to parse by ``detail_type``. (The fields of Powertools' ``EventBridgeModel`` that consumers use; importing the
    Powertools models package would load every event model it has, which every publisher would pay at cold start.)"""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    id: str
    source: str
    detail_type: str = Field(alias="detail-type")
    time: str = ""
    detail: EventEnvelope[dict[str, Any]]
