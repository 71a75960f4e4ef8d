"""Step Functions task: capture the order's authorized payment and publish ``PaymentCaptured``; a repeat answers
the same.

Input ``{orderId, paymentId}`` -> ``{paymentId, status: "CAPTURED", amount}``. Errors: ``PaymentStateError`` (not
capturable), ``PaymentInputError``, ``PaymentTransientError`` (retry)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.observability import logger, tracer
from buynest.payments.runtime import payment_service
from buynest.payments.schemas import CaptureInput, CaptureOutput, parse_task_input


@logger.inject_lambda_context(correlation_id_path="orderId", clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = parse_task_input(CaptureInput, event)
    payment = payment_service().capture(task.order_id, task.payment_id, correlation_id=task.order_id)
    return CaptureOutput.of(payment).wire()
