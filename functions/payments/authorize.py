"""Step Functions task: authorize the order's payment with the provider (simulator), idempotently by order id.

Input ``{orderId, userId, amount, tokenKind}`` (the card token's kind: the token itself is never passed on) ->
``{paymentId, status: "AUTHORIZED", amount}``. Errors (by class name, as ``ErrorEquals`` matches them):
``PaymentDeclined``, ``PaymentTransientError`` (retry), ``PaymentInputError``, ``PaymentStateError``."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.observability import logger, tracer
from buynest.payments.runtime import payment_service
from buynest.payments.schemas import AuthorizeInput, AuthorizeOutput, parse_task_input


@logger.inject_lambda_context(correlation_id_path="orderId", clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = parse_task_input(AuthorizeInput, event)
    payment = payment_service().authorize(task.order_id, task.user_id, task.amount, task.token_kind)
    return AuthorizeOutput.of(payment).wire()
