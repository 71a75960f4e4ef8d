"""Consumer of the products table's stream: keeps the name index (search) in step with the catalog on every
create, rename, reprice, recategorise and delete. Idempotent and safe out of order (``NameIndexer``). Failed
records are reported one by one (ReportBatchItemFailures); after the mapping's retries they go to its on-failure
queue."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.observability import logger, tracer
from buynest.products.runtime import name_indexer

processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)


@tracer.capture_method
def record_handler(record: DynamoDBRecord) -> None:
    if record.dynamodb is None:
        return
    product_id = str((record.dynamodb.keys or {}).get("productId") or "")
    if not product_id:
        return
    outcome = name_indexer().apply_images(
        product_id, record.dynamodb.old_image, record.dynamodb.new_image, record.dynamodb.sequence_number
    )
    logger.debug("name index", extra={"productId": product_id, "outcome": outcome.value})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
