"""SQS consumer of the order saga's events (bus rule -> queue -> here): reserves, uses and gives back coupons and
replies CouponReserved / CouponRejected. Failed records are reported one by one (ReportBatchItemFailures) and,
after the queue's retries, land in its DLQ."""

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.consumer import saga_consumer
from buynest.core.observability import logger, tracer
from buynest.coupons.messages import ORDER_EVENTS
from buynest.coupons.runtime import coupon_saga

consumer = saga_consumer(ORDER_EVENTS, coupon_saga)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return consumer.handler(event, context)
