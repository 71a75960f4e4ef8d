"""SQS consumer of the images bucket's ObjectCreated notifications (bucket -> queue -> here): checks each upload
and marks its image READY or REJECTED. Failed records are reported one by one (ReportBatchItemFailures) and,
after the queue's retries, land in its DLQ."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.observability import logger, tracer
from buynest.images.messages import parse_object_created
from buynest.images.runtime import image_processor

# A batch whose records all failed is reported like any other (every id listed) rather than raised as an error.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    for created in parse_object_created(record.body):
        outcome = image_processor().process(created.key, correlation_id=record.message_id)
        logger.info("upload processed", extra={"key": created.key, "size": created.size, "outcome": outcome})


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
