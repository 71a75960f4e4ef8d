"""Scheduled: orders still PENDING after the timeout end FAILED/TIMEOUT (and give everything back); reserved
orders whose payment workflow never started get it started. An operator may invoke it by hand with
``{"pendingTimeoutSeconds": n}`` to sweep with a shorter timeout now (e.g. after an outage of a consumer)."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.observability import logger, metrics
from buynest.orders.runtime import order_service


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    override = event.get("pendingTimeoutSeconds") if isinstance(event, dict) else None
    timeout = int(override) if isinstance(override, int) and 0 <= override <= 86400 else None
    result = order_service().sweep(timeout)
    logger.info("sweep done", extra=result)
    # OrdersTimedOutAlarm (template.yaml) pages someone when the saga lost an answer and an order had to be ended.
    metrics.add_metric(name="OrdersTimedOut", unit=MetricUnit.Count, value=result.get("timedOut", 0))
    metrics.add_metric(name="OrdersNeedingOperator", unit=MetricUnit.Count, value=result.get("needsOperator", 0))
    return result
