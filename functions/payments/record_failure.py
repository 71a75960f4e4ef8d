"""Step Functions task, last of the failure path: publish ``PaymentFailed`` (closing a still pending payment as
FAILED so no late attempt authorizes it).

Input ``{orderId, reason: "PAYMENT_DECLINED"|"PAYMENT_ERROR", error?}`` (``error``: the Catch's ``{Error, Cause}``
or a name) -> ``{orderId, reason}``. Errors: ``PaymentInputError``, ``PaymentTransientError`` (retry)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.observability import logger, tracer
from buynest.payments.runtime import payment_service
from buynest.payments.schemas import RecordFailureInput, RecordFailureOutput, parse_task_input


@logger.inject_lambda_context(correlation_id_path="orderId", clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = parse_task_input(RecordFailureInput, event)
    if task.error is not None:
        logger.info("payment path failed", extra={"error": task.error_name(), "cause": task.error_cause()})
    failed = payment_service().record_failure(task.order_id, task.reason, task.error_name(), task.order_id)
    return RecordFailureOutput(order_id=failed.order_id, reason=failed.reason).wire()
