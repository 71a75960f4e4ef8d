"""SQS consumer of the order saga's events (bus rule -> queue -> here): holds, settles, gives back and takes back
points, replies PointsReserved / PointsRejected and announces UserPointsUpdated. Failed records are reported one by
one (ReportBatchItemFailures) and, after the queue's retries, land in its DLQ."""

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.consumer import saga_consumer
from buynest.core.observability import logger, tracer
from buynest.users.messages import ORDER_EVENTS
from buynest.users.runtime import points_saga

consumer = saga_consumer(ORDER_EVENTS, points_saga)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return consumer.handler(event, context)
