"""The outbox: reads the orders table's stream and puts OrderCreated / OrderFailed / OrderConfirmed /
OrderCancelled on the bus, so an order's state and its events can never diverge."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.observability import logger, tracer
from buynest.orders.runtime import order_events_publisher
from buynest.orders.service import events_for_change
from buynest.orders.store import order_from_image

processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


@tracer.capture_method
def record_handler(record: DynamoDBRecord) -> None:
    images = record.raw_event.get("dynamodb", {})
    old, new = order_from_image(images.get("OldImage")), order_from_image(images.get("NewImage"))
    entries = events_for_change(old, new)
    if entries and new is not None:
        logger.set_correlation_id(new.order_id)
        order_events_publisher().publish(entries)
        logger.info("published", extra={"events": [e["DetailType"] for e in entries], "status": new.status.value})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
