"""SQS consumer of OrderConfirmed (bus rule -> queue -> here): takes the order's quantities off its customer's cart,
once however often the event is delivered. Failed records are reported one by one (ReportBatchItemFailures) and,
after the queue's retries, land in its DLQ."""

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.cart.messages import ORDER_CONFIRMED, TRUSTED_SOURCES, OrderConfirmed
from buynest.cart.runtime import cart_service
from buynest.core.consumer import BusConsumer
from buynest.core.events import BusEvent
from buynest.core.observability import logger, tracer


def handle(event: BusEvent) -> None:
    if event.detail_type != ORDER_CONFIRMED:
        logger.info("ignored event", extra={"detailType": event.detail_type})
        return
    applied = cart_service().take_order(OrderConfirmed.model_validate(event.detail.data))
    logger.info("cart", extra={"detailType": event.detail_type, "applied": applied})


consumer = BusConsumer(handle, TRUSTED_SOURCES)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return consumer.handler(event, context)
