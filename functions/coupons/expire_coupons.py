"""Scheduled (every 5 minutes): mark the ISSUED coupons of expired campaigns EXPIRED. Reads already show them
EXPIRED; this makes the stored state agree, within the function's time budget (the rest waits for the next run)."""

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from buynest.core.observability import logger, metrics
from buynest.coupons.runtime import coupon_service

SAFETY_MARGIN_MS = 3000


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = coupon_service().expire_due(keep_going=lambda: context.get_remaining_time_in_millis() > SAFETY_MARGIN_MS)
    metrics.add_metric(name="CouponsExpired", unit="Count", value=summary.expired)
    logger.info("expiry sweep", extra=asdict(summary))
    return asdict(summary)
