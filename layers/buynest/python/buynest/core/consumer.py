"""Every SQS consumer of bus events is one pattern: parse each record's body as a bus event, set the log correlation
id, hand the event to the service, and report the records that failed (partial batch response), so only those
come back, and after ``maxReceiveCount`` tries go to the queue's dead-letter queue.

Records of one batch are handled concurrently, a few at a time (``BUYNEST_CONSUMER_WORKERS``, default 4; 1 handles
them one after another). Lambda's poller hands a function one batch at a time, so a batch of ten replies handled
one by one makes the tenth wait for nine round trips; every handler here is idempotent and safe out of order (the
services' conditional writes decide, as they do when two Lambda instances run at once). Each record logs with its
own correlation id (Powertools' thread-safe keys) and, when tracing is on, inside the invocation's X-Ray segment
(the SDK keeps its context per thread, so the workers are handed the handler's). The very first record a container
handles runs alone, so the services' lazily created clients are made by one thread.

Each consumer trusts every fact it acts on only from the service that owns it: ``trusted`` maps each detail-type it
reads to the one source allowed to send it (a reader's ``messages.TRUSTED_SOURCES``). Anything else — another
detail-type, or a known one from another source, such as an ``OrderConfirmed`` with any ``pointsEarned`` put by the
image processor — is logged and dropped (acknowledged, never retried) before the service sees it. The bus rules
route by source too and IAM limits each publisher to its own source; this is the last of the three checks."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from aws_lambda_powertools.utilities.batch import AsyncBatchProcessor, EventType, async_process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from buynest.core.events import BusEvent, EventModel, EventReader
from buynest.core.observability import logger

WORKERS_ENV = "BUYNEST_CONSUMER_WORKERS"
DEFAULT_WORKERS = 4

Handle = Callable[[BusEvent], None]


class Saga[E](Protocol):
    def handle(self, event: E, correlation_id: str) -> None: ...


class BusEventRecord(SqsRecordModel):
    body: Json[BusEvent]


def workers() -> int:
    try:
        return max(1, int(os.environ.get(WORKERS_ENV) or DEFAULT_WORKERS))
    except ValueError:
        return DEFAULT_WORKERS


class BusConsumer:
    """``handler(event, context)`` for an SQS-fed function: ``handle`` gets each record's bus event whose
    detail-type is in ``trusted`` and whose source is the one ``trusted`` names for it; an exception fails that
    record only."""

    def __init__(self, handle: Handle, trusted: Mapping[str, str]) -> None:
        self._handle = handle
        self.trusted: Mapping[str, str] = dict(trusted)
        # a batch whose records all failed is reported like any other (every id listed), not raised
        self._processor = AsyncBatchProcessor(
            event_type=EventType.SQS, model=BusEventRecord, raise_on_entire_batch_failure=False
        )
        self._first = threading.Lock()
        self._warm = False
        self._slots: asyncio.Semaphore | None = None
        self._trace_entity: Any = None

    def handler(self, event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        self._slots = asyncio.Semaphore(workers())
        self._trace_entity = _current_trace_entity()
        response = async_process_partial_response(
            event=event, record_handler=self._record, processor=self._processor, context=context
        )
        # failures in the batch's order (they complete in any order)
        order = {record.get("messageId"): i for i, record in enumerate(event.get("Records") or [])}
        response["batchItemFailures"].sort(key=lambda failure: order.get(failure["itemIdentifier"], len(order)))
        return response

    async def _record(self, record: BusEventRecord) -> None:
        assert self._slots is not None
        async with self._slots:
            await asyncio.to_thread(self._run, record.body)

    def _run(self, event: BusEvent) -> None:
        if not self._warm:
            with self._first:
                if not self._warm:
                    try:
                        self._dispatch(event)
                    finally:
                        self._warm = True
                    return
        self._dispatch(event)

    def trusts(self, source: str, detail_type: str) -> bool:
        return self.trusted.get(detail_type) == source

    def _dispatch(self, event: BusEvent) -> None:
        # to_thread runs each record in a copy of the context: these keys are this record's only
        correlate(event.detail.metadata.correlation_id)
        if self._trace_entity is not None:
            _set_trace_entity(self._trace_entity)
        if not self.trusts(event.source, event.detail_type):
            expected = self.trusted.get(event.detail_type)
            log = logger.warning if expected else logger.info
            log(
                "event dropped: not from the source trusted for it" if expected else "ignored event",
                extra={"source": event.source, "detailType": event.detail_type, "trustedSource": expected},
            )
            return
        self._handle(event)


def _tracing() -> bool:
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() not in {"1", "true"}


def _current_trace_entity() -> Any:
    """The X-Ray segment (or subsegment) of this invocation when tracing is on, else None."""
    if not _tracing():
        return None
    from aws_xray_sdk.core import xray_recorder

    return xray_recorder.get_trace_entity()


def _set_trace_entity(entity: Any) -> None:
    from aws_xray_sdk.core import xray_recorder

    xray_recorder.set_trace_entity(entity)


def correlate(correlation_id: str) -> None:
    """Log the rest of this record's handling under ``correlation_id`` (e.g. the order id)."""
    logger.thread_safe_append_keys(correlation_id=correlation_id)


def saga_consumer[E: EventModel](reader: EventReader[E], saga: Callable[[], Saga[E]]) -> BusConsumer:
    """The consumer of a service's part in the order saga: each trusted order event, read by ``reader``, goes to
    ``saga()`` with the triggering event's correlation id; the rest of its handling logs under the order's id."""

    def handle(event: BusEvent) -> None:
        order_event = reader.parse(event.detail_type, event.detail.data)
        if order_event is None:
            logger.info("ignored event", extra={"source": event.source, "detailType": event.detail_type})
            return
        correlate(getattr(order_event, "order_id", None) or event.detail.metadata.correlation_id)
        saga().handle(order_event, event.detail.metadata.correlation_id)

    return BusConsumer(handle, reader.trusted)
