"""SQS consumer of OrderConfirmed / OrderFailed / OrderCancelled: keeps the sales statistics."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from buynest.core.events import BusEvent
from buynest.core.observability import logger
from buynest.stats.messages import OrderSettled
from buynest.stats.runtime import stats_store

KINDS = {"OrderConfirmed", "OrderFailed", "OrderCancelled"}


class SettledRecord(SqsRecordModel):
    body: Json[BusEvent]


processor = BatchProcessor(event_type=EventType.SQS, model=SettledRecord, raise_on_entire_batch_failure=False)


def record_handler(record: SettledRecord) -> None:
    event = record.body
    logger.set_correlation_id(event.detail.metadata.correlation_id)
    if event.detail_type not in KINDS:
        return
    counted = stats_store().apply(event.detail_type, OrderSettled.model_validate(event.detail.data))
    logger.info("stats", extra={"detailType": event.detail_type, "counted": counted})


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
