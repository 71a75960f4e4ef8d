"""Payment workflow task: the payment failed for good, so the order ends FAILED with the reason (unless it is final
already). Returns the order's status as it now stands: the workflow refunds only a FAILED order."""

from typing import Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from buynest.core.observability import logger
from buynest.orders.runtime import order_service


class FailInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    orderId: str = Field(min_length=1, max_length=64)  # noqa: N815 - the workflow's field name
    reason: Literal["PAYMENT_DECLINED", "PAYMENT_ERROR"]


@logger.inject_lambda_context(correlation_id_path="orderId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = FailInput.model_validate(event)
    order = order_service().fail(task.orderId, task.reason)
    status = order.status.value if order else "MISSING"
    logger.info("order failed", extra={"reason": task.reason, "status": status})
    return {"orderId": task.orderId, "status": status, "reason": order.failure_reason if order else task.reason}
