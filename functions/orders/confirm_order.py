"""Payment workflow task: the payment is captured, so the order becomes PAID then CONFIRMED (idempotent: the workflow
retries it on any error). Raises ``NotConfirmable`` (never retried) when the order ended otherwise; the workflow then
moves the order to FAILED (if it is not already) and refunds only if that holds."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, model_validator

from buynest.core.observability import logger
from buynest.core.workflow import lift_payment_id
from buynest.orders.runtime import order_service


class ConfirmInput(BaseModel):
    model_config = ConfigDict(extra="ignore")

    orderId: str = Field(min_length=1, max_length=64)  # noqa: N815 - the workflow's field name
    paymentId: str | None = Field(None, max_length=128)  # noqa: N815

    @model_validator(mode="before")
    @classmethod
    def _lift_payment_id(cls, data: Any) -> Any:
        return lift_payment_id(data)


@logger.inject_lambda_context(correlation_id_path="orderId", clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    task = ConfirmInput.model_validate(event)
    order = order_service().confirm(task.orderId, task.paymentId)
    logger.info("order confirmed", extra={"total": order.amounts.total, "pointsEarned": order.points_earned})
    return {"orderId": order.order_id, "status": order.status.value}
