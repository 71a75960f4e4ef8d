"""Consumer of the notifications queue (bus rule -> queue -> here): ``UserSignedUp`` records where a customer's
emails go; ``OrderConfirmed``, ``OrderFailed``, ``OrderCancelled`` and ``OrderShipped`` each send the customer one
email, however often they are delivered. A failed record alone is retried (ReportBatchItemFailures) and, after the
queue's retries, lands in its DLQ."""

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.consumer import BusConsumer, correlate
from buynest.core.events import BusEvent
from buynest.core.observability import logger, tracer
from buynest.notifications.messages import EVENTS
from buynest.notifications.runtime import notification_service


def handle(event: BusEvent) -> None:
    parsed = EVENTS.parse(event.detail_type, event.detail.data)
    if parsed is None:
        logger.info("ignored event", extra={"source": event.source, "detailType": event.detail_type})
        return
    order_id = getattr(parsed, "order_id", None)
    if order_id:
        correlate(order_id)
    outcome = notification_service().handle(parsed, event.detail.metadata.event_id)
    logger.info("notification", extra={"detailType": event.detail_type, "outcome": outcome.value})


consumer = BusConsumer(handle, EVENTS.trusted)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return consumer.handler(event, context)
