"""SQS consumer of the order saga's events (bus rule -> queue -> here): holds, settles, gives back and takes back
points, replies PointsReserved / PointsRejected and announces UserPointsUpdated. Failed records are reported one by
one (ReportBatchItemFailures) and, after the queue's retries, land in its DLQ."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from buynest.core.events import BusEvent
from buynest.core.observability import logger, tracer
from buynest.users.messages import ORDERS_SOURCE, parse_order_event
from buynest.users.runtime import points_saga


class OrderEventRecord(SqsRecordModel):
    body: Json[BusEvent]


# A batch whose records all failed is reported like any other (every id listed) rather than raised as an error.
processor = BatchProcessor(event_type=EventType.SQS, model=OrderEventRecord, raise_on_entire_batch_failure=False)


@tracer.capture_method
def record_handler(record: OrderEventRecord) -> None:
    event = record.body
    correlation_id = event.detail.metadata.correlation_id
    logger.set_correlation_id(correlation_id)
    order_event = parse_order_event(event.detail_type, event.detail.data) if event.source == ORDERS_SOURCE else None
    if order_event is None:
        logger.info("ignored event", extra={"source": event.source, "detailType": event.detail_type})
        return
    logger.set_correlation_id(order_event.order_id)
    points_saga().handle(order_event, correlation_id)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
