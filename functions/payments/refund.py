"""Step Functions task: give the order's money back (refund a captured payment, publishing ``PaymentRefunded``, or
void an authorized one); nothing to do when no money is held. Idempotent.

Input ``{orderId, reason?}`` -> ``{orderId, paymentId, status: "REFUNDED"|"VOIDED"|"NOTHING_TO_REFUND", amount}``.
Errors: ``PaymentInputError``, ``PaymentTransientError`` (retry)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.observability import logger, tracer
from buynest.payments.runtime import payment_service
from buynest.payments.schemas import RefundInput, RefundOutput, parse_task_input


@logger.inject_lambda_context(correlation_id_path="orderId", clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = parse_task_input(RefundInput, event)
    result = payment_service().refund(task.order_id, task.reason, correlation_id=task.order_id)
    payment = result.payment
    return RefundOutput(
        order_id=task.order_id,
        payment_id=payment.payment_id if payment else None,
        status=result.outcome,
        amount=payment.amount if payment else 0,
    ).wire()
