"""SQS consumer of the owners' replies (StockReserved/Rejected, CouponReserved/Rejected, PointsReserved/Rejected):
moves the order to RESERVED (and starts the payment workflow) or to FAILED."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import Json

from buynest.core.events import BusEvent
from buynest.core.observability import logger, tracer
from buynest.orders.messages import REPLY_PARTS
from buynest.orders.runtime import order_service


class ReplyRecord(SqsRecordModel):
    body: Json[BusEvent]


processor = BatchProcessor(event_type=EventType.SQS, model=ReplyRecord, raise_on_entire_batch_failure=False)


@tracer.capture_method
def record_handler(record: ReplyRecord) -> None:
    event = record.body
    logger.set_correlation_id(event.detail.metadata.correlation_id)
    if event.detail_type not in REPLY_PARTS:
        logger.info("ignored event", extra={"detailType": event.detail_type})
        return
    logger.info("reply", extra={"detailType": event.detail_type, "orderId": event.detail.data.get("orderId")})
    order_service().on_reply(event.detail_type, event.detail.data, event.detail.metadata.correlation_id)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
