"""The outbox: reads the orders table's stream and puts OrderCreated / OrderFailed / OrderConfirmed /
OrderCancelled / OrderShipped / OrderDelivered on the bus, so an order's state and its events can never diverge.

The events of a whole batch go out together, up to ten per PutEvents call, rather than one call per record (the
stream hands this function one batch at a time, so per-record calls queue up behind each other under load). A record
whose image cannot be read, or whose events the bus refused, is reported as failed (its sequence number), and the
stream retries from the first failure; events that went out already go out again with the same ids, which every
consumer recognises.

Once a final or fulfilment event is on the bus, the order is marked published at its stage (one conditional
UpdateItem, which the stream filter keeps from invoking this function again). A final order left unmarked (its
events lost past the stream's retries, or the mark itself failed) is published again by the sweeper with the same
event ids."""

from collections.abc import Sequence
from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.events import MAX_ENTRIES_PER_CALL
from buynest.core.observability import logger, tracer
from buynest.orders.domain import FINAL, outbox_stage
from buynest.orders.runtime import order_events_publisher, order_repository
from buynest.orders.service import events_for_change
from buynest.orders.store import order_from_image

# sequence number, order id, outbox stage (None: nothing to acknowledge), entries
Outgoing = tuple[str, str, str | None, Sequence[dict[str, Any]]]


def _changes(records: list[dict[str, Any]]) -> tuple[list[Outgoing], list[str]]:
    outgoing: list[Outgoing] = []
    failed: list[str] = []
    for raw in records:
        images = raw.get("dynamodb") or {}
        sequence = images.get("SequenceNumber")
        try:
            old, new = order_from_image(images.get("OldImage")), order_from_image(images.get("NewImage"))
            entries = events_for_change(old, new)
        except Exception:
            logger.exception("unreadable order change", extra={"sequenceNumber": sequence})
            failed.append(str(sequence))
            continue
        if entries and new is not None:
            stage = outbox_stage(new) if new.status in FINAL else None
            outgoing.append((str(sequence), new.order_id, stage, entries))
    return outgoing, failed


def _chunks(outgoing: list[Outgoing]) -> list[list[Outgoing]]:
    """Consecutive changes whose events fit one PutEvents call."""
    chunks: list[list[Outgoing]] = []
    size = MAX_ENTRIES_PER_CALL
    for change in outgoing:
        if size + len(change[3]) > MAX_ENTRIES_PER_CALL:
            chunks.append([])
            size = 0
        chunks[-1].append(change)
        size += len(change[3])
    return chunks


def _acknowledge(order_id: str, stage: str | None) -> None:
    """Mark a final or fulfilment event as published; a failure only leaves it to the sweeper (a duplicate, never
    a loss)."""
    if stage is None:
        return
    try:
        order_repository().mark_published(order_id, stage)
    except Exception:
        logger.exception("published, but not marked; the sweeper will publish it again", extra={"orderId": order_id})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    outgoing, failed = _changes(event.get("Records") or [])
    for chunk in _chunks(outgoing):
        try:
            order_events_publisher().publish([entry for change in chunk for entry in change[3]])
        except Exception:
            logger.exception("events not published", extra={"orderIds": [change[1] for change in chunk]})
            failed.extend(change[0] for change in chunk)
            continue
        for _, order_id, stage, entries in chunk:
            logger.info(
                "published",
                extra={"correlation_id": order_id, "events": [e["DetailType"] for e in entries], "status": stage},
            )
            _acknowledge(order_id, stage)
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}
