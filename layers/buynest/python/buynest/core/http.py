"""HTTP plumbing shared by every API function: resolver setup, body/query parsing, and the one place where
errors become the contract's ``{"error": {"code", "message"}}`` bodies."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from pydantic import BaseModel, ValidationError

from buynest.core.errors import BuynestError, InvalidInput, NotFound, status_for
from buynest.core.observability import logger

M = TypeVar("M", bound=BaseModel)

MAX_BODY_BYTES = 64 * 1024

# The storefront is served from another origin (S3 / CloudFront) and calls the API with a bearer token, never a
# cookie, so any origin may call it. The same names are in template.yaml's Api ``Cors`` (the preflight OPTIONS the
# gateway answers itself) and its gateway responses (the errors that never reach a function).
CORS_ALLOW_HEADERS = ["Idempotency-Key"]
CORS_MAX_AGE_SECONDS = 600
CORS = CORSConfig(allow_origin="*", allow_headers=CORS_ALLOW_HEADERS, max_age=CORS_MAX_AGE_SECONDS)


def json_response(status: int, body: Any = None) -> Response[str]:
    """A JSON response; ``body=None`` gives an empty body (for 204)."""
    return Response(
        status_code=status,
        content_type="application/json",
        body="" if body is None else json.dumps(body, separators=(",", ":")),
    )


def error_response(status: int, code: str, message: str) -> Response[str]:
    return json_response(status, {"error": {"code": code, "message": message}})


def describe_validation_error(exc: ValidationError) -> str:
    """One human sentence naming the first offending field, e.g. ``price: Input should be a valid integer``."""
    err = exc.errors(include_url=False)[0]
    loc = ".".join(str(p) for p in err.get("loc", ()) if p != "__root__")
    kind = err.get("type", "")
    if kind == "json_invalid":
        return "request body is not valid JSON"
    if kind in {"model_type", "model_attributes_type", "dict_type"} and not loc:
        return "request body must be a JSON object"
    if kind == "missing":
        return f"{loc}: field is required"
    if kind == "extra_forbidden":
        return f"{loc}: unknown field"
    return f"{loc}: {err.get('msg', 'is invalid')}" if loc else str(err.get("msg", "request is invalid"))


def make_app() -> APIGatewayRestResolver:
    """A resolver whose errors all follow the contract. Unknown routes are 404; bugs are logged and become a
    generic 500 (which tests treat as a failure: no request may produce one). Every response, errors included,
    carries the CORS headers when the request has an ``Origin``."""
    app = APIGatewayRestResolver(cors=CORS)

    @app.exception_handler(BuynestError)
    def _domain_error(exc: BuynestError) -> Response[str]:
        status = status_for(exc)
        logger.info("request refused", extra={"status": status, "code": exc.code, "reason": exc.message})
        return error_response(status, exc.code, exc.message)

    @app.exception_handler(ValidationError)
    def _validation_error(exc: ValidationError) -> Response[str]:
        return error_response(400, "VALIDATION_ERROR", describe_validation_error(exc))

    @app.not_found
    def _not_found(_exc: Exception) -> Response[str]:
        return error_response(404, "NOT_FOUND", "no such resource")

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return error_response(500, "INTERNAL_ERROR", "something went wrong on our side")

    return app


def parse_body[M: BaseModel](app: APIGatewayRestResolver, model: type[M]) -> M:
    """Parse and validate the JSON request body against ``model`` (strict types, unknown fields refused)."""
    try:
        raw = app.current_event.decoded_body
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput("request body is not valid JSON (it must be UTF-8 text)") from exc
    if raw is None or not raw.strip():
        raise InvalidInput("request body is required: send a JSON object")
    if len(raw.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise InvalidInput(f"request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise InvalidInput(describe_validation_error(exc)) from exc


def parse_query[M: BaseModel](app: APIGatewayRestResolver, model: type[M]) -> M:
    """Validate query-string parameters (strings converted to the model's types; unknown ones refused)."""
    params = app.current_event.query_string_parameters or {}
    try:
        return model.model_validate(dict(params))
    except ValidationError as exc:
        raise InvalidInput(describe_validation_error(exc)) from exc


def path_param(app: APIGatewayRestResolver, name: str, max_length: int = 64) -> str:
    """A path parameter, refused with 404 when it cannot be one of our ids (never reaches the database)."""
    value = (app.current_event.path_parameters or {}).get(name) or ""
    if not value or len(value) > max_length or not value.isascii() or not value.replace("-", "").isalnum():
        raise NotFound(f"{name} {value[:64]!r} does not exist")
    return value
