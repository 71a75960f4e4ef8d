"""SQS consumer of the order saga's events (bus rule -> queue -> here): reserves, uses and gives back coupons and
replies CouponReserved / CouponRejected. Failed records are reported one by one (ReportBatchItemFailures) and,
after the queue's retries, land in its DLQ."""

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.consumer import BusConsumer
from buynest.core.events import BusEvent
from buynest.core.observability import logger, tracer
from buynest.coupons.messages import TRUSTED_SOURCES, parse_order_event
from buynest.coupons.runtime import coupon_saga


def handle(event: BusEvent) -> None:
    order_event = parse_order_event(event.detail_type, event.detail.data)
    if order_event is None:
        logger.info("ignored event", extra={"detailType": event.detail_type})
        return
    coupon_saga().handle(order_event, event.detail.metadata.correlation_id)


consumer = BusConsumer(handle, TRUSTED_SOURCES)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return consumer.handler(event, context)
