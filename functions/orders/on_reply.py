"""SQS consumer of the owners' replies (StockReserved/Rejected, CouponReserved/Rejected, PointsReserved/Rejected):
moves the order to RESERVED (and starts the payment workflow) or to FAILED."""

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.consumer import BusConsumer
from buynest.core.events import BusEvent
from buynest.core.observability import logger, tracer
from buynest.orders.messages import REPLY_PARTS, TRUSTED_SOURCES
from buynest.orders.runtime import order_service


def handle(event: BusEvent) -> None:
    if event.detail_type not in REPLY_PARTS:
        logger.info("ignored event", extra={"detailType": event.detail_type})
        return
    logger.info("reply", extra={"detailType": event.detail_type, "orderId": event.detail.data.get("orderId")})
    order_service().on_reply(event.detail_type, event.detail.data, event.detail.metadata.correlation_id)


consumer = BusConsumer(handle, TRUSTED_SOURCES)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return consumer.handler(event, context)
