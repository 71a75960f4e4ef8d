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
from typing import Any, Protocol

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


class EventModel(BaseModel):
    """Base of event payloads: camelCase on the wire, snake_case in Python; unknown fields are ignored so that a
    producer may add fields without breaking its consumers."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore")

    def wire(self) -> dict[str, Any]:
        """The JSON form, as it travels in ``data``."""
        return self.model_dump(mode="json", by_alias=True)


class EventMetadata(EventModel):
    event_id: str = Field(min_length=1, max_length=128)
    event_version: int = Field(ge=1)
    correlation_id: str = Field(min_length=1, max_length=128)
    occurred_at: str = Field(min_length=1, max_length=64)


class EventEnvelope[D](EventModel):
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
    payload = data.wire() if isinstance(data, EventModel) else dict(data)
    detail = {"metadata": metadata.wire(), "data": payload}
    return {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail, separators=(",", ":"))}


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
