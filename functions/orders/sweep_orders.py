"""Scheduled: orders still PENDING after the timeout end FAILED/TIMEOUT (and give everything back); reserved
orders whose payment workflow never started get it started."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.observability import logger
from buynest.orders.runtime import order_service


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    result = order_service().sweep()
    logger.info("sweep done", extra=result)
    return result
