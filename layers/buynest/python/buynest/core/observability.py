"""Logger, tracer and metrics, created once per container, and the decorator every API handler wears.

Metrics (CloudWatch embedded metric format, namespace ``POWERTOOLS_METRICS_NAMESPACE``): every API function's
cold starts (``ColdStart``, by function), and the business outcomes, taken from the events that record them as they
are put on the bus (:func:`count_published`, called by the bus publisher: no service code measures anything):
``OrdersConfirmed``, ``OrdersFailed`` by ``reason``, ``SagaLatency`` (order id's creation time to its confirmation
or failure, ms), ``ImagesRejected``; plus ``CouponsIssued`` (the issue handler) and ``CouponsExpired``."""

from __future__ import annotations

import json
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from buynest.core.ids import created_ms

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from aws_lambda_powertools.utilities.typing import LambdaContext

F = TypeVar("F", bound=Callable[..., Any])


class _NoTracer:
    """Stands in for Powertools' Tracer when tracing is off: same decorators, no X-Ray SDK. (``Tracer(disabled=True)``
    still imports the SDK, which costs more at cold start than everything else a function loads.)"""

    def capture_lambda_handler(self, fn: F | None = None, **_: Any) -> Any:
        return fn if fn is not None else (lambda inner: inner)

    def capture_method(self, fn: F) -> F:
        return fn


def _tracer() -> Any:
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in {"1", "true"}:
        return _NoTracer()
    from aws_lambda_powertools import Tracer

    return Tracer()


logger = Logger()
tracer = _tracer()
metrics = Metrics()
# An API invocation that measured nothing but its cold start is the normal case, not a mistake to warn about.
warnings.filterwarnings("ignore", message="No application metrics to publish")


def count(name: str, value: float = 1, unit: MetricUnit = MetricUnit.Count, **dimensions: str) -> None:
    """Emits one metric now (its own EMF line), so it is recorded whatever decorator the function wears."""
    with single_metric(name=name, unit=unit, value=value) as metric:
        for key, dimension in dimensions.items():
            metric.add_dimension(name=key, value=dimension)


def count_published(entries: Sequence[Mapping[str, Any]]) -> None:
    """The business metrics of the events just put on the bus (see the module's docstring)."""
    for entry in entries:
        kind = entry.get("DetailType")
        if kind not in ("OrderConfirmed", "OrderFailed", "ImageProcessed"):
            continue
        data = json.loads(entry.get("Detail") or "{}").get("data") or {}
        if kind == "ImageProcessed":
            if data.get("status") == "REJECTED":
                count("ImagesRejected")
            continue
        if kind == "OrderConfirmed":
            count("OrdersConfirmed")
        else:
            count("OrdersFailed", reason=str(data.get("reason") or "UNKNOWN"))
        created = created_ms(str(data.get("orderId") or ""))
        if created is not None:
            count("SagaLatency", max(0, time.time() * 1000 - created), MetricUnit.Milliseconds)


Handler = Callable[[dict[str, Any], "LambdaContext"], dict[str, Any]]


def http_handler(app: APIGatewayRestResolver) -> Handler:
    """The Lambda entry point for one API function: request id as correlation id, traced, metrics flushed.

    The trace never records the response (``capture_response=False``): API responses carry login tokens, emails and
    pre-signed upload fields, and X-Ray metadata is readable by anyone who may read traces. Errors are still
    recorded (``capture_error``), and they carry no body."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics(capture_cold_start_metric=True)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    handler.__buynest_http_handler__ = True
    return cast(Handler, handler)
