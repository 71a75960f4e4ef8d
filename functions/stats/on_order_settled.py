"""SQS consumer of OrderConfirmed / OrderFailed / OrderCancelled: keeps the sales statistics."""

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.consumer import BusConsumer
from buynest.core.events import BusEvent
from buynest.core.observability import logger
from buynest.stats.messages import TRUSTED_SOURCES, OrderSettled
from buynest.stats.runtime import stats_store

KINDS = frozenset(TRUSTED_SOURCES)


def handle(event: BusEvent) -> None:
    if event.detail_type not in KINDS:
        return
    counted = stats_store().apply(event.detail_type, OrderSettled.model_validate(event.detail.data))
    logger.info("stats", extra={"detailType": event.detail_type, "counted": counted})


consumer = BusConsumer(handle, TRUSTED_SOURCES)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return consumer.handler(event, context)
