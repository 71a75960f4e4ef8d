"""Logger, tracer and metrics, created once per container, and the decorator every API handler wears."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths

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

Handler = Callable[[dict[str, Any], "LambdaContext"], dict[str, Any]]


def http_handler(app: APIGatewayRestResolver) -> Handler:
    """The Lambda entry point for one API function: request id as correlation id, traced, metrics flushed.

    The trace never records the response (``capture_response=False``): API responses carry login tokens, emails and
    pre-signed upload fields, and X-Ray metadata is readable by anyone who may read traces. Errors are still
    recorded (``capture_error``), and they carry no body."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    handler.__buynest_http_handler__ = True
    return cast(Handler, handler)
