"""SQS consumer of ``OrderCancelled`` (bus rule -> queue -> here): refunds the cancelled order's captured payment
(or voids an authorization), idempotently. Failed records are reported one by one (ReportBatchItemFailures) and,
after the queue's retries, land in its DLQ."""

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.consumer import BusConsumer
from buynest.core.events import BusEvent
from buynest.core.observability import logger, tracer
from buynest.payments.messages import ORDER_CANCELLED, TRUSTED_SOURCES, OrderCancelled
from buynest.payments.runtime import payment_service


def handle(event: BusEvent) -> None:
    if event.detail_type != ORDER_CANCELLED:
        logger.info("ignored event", extra={"detailType": event.detail_type})
        return
    cancelled = OrderCancelled.model_validate(event.detail.data)
    result = payment_service().refund(cancelled.order_id, "ORDER_CANCELLED", event.detail.metadata.correlation_id)
    logger.info("cancelled order's payment settled", extra={"orderId": cancelled.order_id, "outcome": result.outcome})


consumer = BusConsumer(handle, TRUSTED_SOURCES)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return consumer.handler(event, context)
