"""Consumer of the products table's stream, filtered to REMOVE records: deletes every object of a deleted product's
images (so the products service never touches the bucket). Failed records are reported one by one
(ReportBatchItemFailures); after the mapping's retries they go to its on-failure queue."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBRecordEventName,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.observability import logger, tracer
from buynest.images.runtime import image_service

processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


@tracer.capture_method
def record_handler(record: DynamoDBRecord) -> None:
    if record.event_name != DynamoDBRecordEventName.REMOVE or record.dynamodb is None:
        return
    product_id = str((record.dynamodb.keys or {}).get("productId") or "")
    if not product_id:
        return
    deleted = image_service().remove_product_images(product_id)
    logger.info("product images removed", extra={"productId": product_id, "objects": deleted})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
