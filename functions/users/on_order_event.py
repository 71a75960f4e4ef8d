"""SQS consumer of the order saga's events (bus rule -> queue -> here): holds, settles, gives back and takes back
points, replies PointsReserved / PointsRejected and announces UserPointsUpdated. Failed records are reported one by
one (ReportBatchItemFailures) and, after the queue's retries, land in its DLQ."""

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.consumer import BusConsumer, correlate
from buynest.core.events import BusEvent
from buynest.core.observability import logger, tracer
from buynest.users.messages import TRUSTED_SOURCES, parse_order_event
from buynest.users.runtime import points_saga


def handle(event: BusEvent) -> None:
    order_event = parse_order_event(event.detail_type, event.detail.data)
    if order_event is None:
        logger.info("ignored event", extra={"source": event.source, "detailType": event.detail_type})
        return
    correlate(order_event.order_id)
    points_saga().handle(order_event, event.detail.metadata.correlation_id)


consumer = BusConsumer(handle, TRUSTED_SOURCES)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return consumer.handler(event, context)
