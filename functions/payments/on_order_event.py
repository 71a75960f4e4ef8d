"""SQS consumer of ``OrderCancelled`` (bus rule -> queue -> here): refunds the cancelled order's captured payment
(or voids an authorization), idempotently. Failed records are reported one by one (ReportBatchItemFailures) and,
after the queue's retries, land in its DLQ."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from buynest.core.events import BusEvent
from buynest.core.observability import logger, tracer
from buynest.payments.messages import ORDER_CANCELLED, OrderCancelled
from buynest.payments.runtime import payment_service


class OrderEventRecord(SqsRecordModel):
    body: Json[BusEvent]


# A batch whose records all failed is reported like any other (every id listed) rather than raised as an error.
processor = BatchProcessor(event_type=EventType.SQS, model=OrderEventRecord, raise_on_entire_batch_failure=False)


@tracer.capture_method
def record_handler(record: OrderEventRecord) -> None:
    event = record.body
    correlation_id = event.detail.metadata.correlation_id
    logger.set_correlation_id(correlation_id)
    if event.detail_type != ORDER_CANCELLED:
        logger.info("ignored event", extra={"detailType": event.detail_type})
        return
    cancelled = OrderCancelled.model_validate(event.detail.data)
    result = payment_service().refund(cancelled.order_id, "ORDER_CANCELLED", correlation_id)
    logger.info("cancelled order's payment settled", extra={"orderId": cancelled.order_id, "outcome": result.outcome})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
