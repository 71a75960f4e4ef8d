"""POST /orders (customer): place an order, once per Idempotency-Key; the saga takes it from PENDING."""

import json

from aws_lambda_powertools.event_handler import Response
from pydantic import ValidationError

from buynest.core.auth import require_customer
from buynest.core.errors import InvalidInput
from buynest.core.http import json_response, make_app, parse_body
from buynest.core.observability import http_handler
from buynest.orders.runtime import place_order
from buynest.orders.schemas import IdempotencyKeyHeader, PlaceOrder

app = make_app()


@app.post("/orders")
def create_order() -> Response[str]:
    principal = require_customer(app)
    try:
        key = IdempotencyKeyHeader.model_validate({"key": app.current_event.headers.get("idempotency-key")}).key
    except ValidationError as exc:
        raise InvalidInput("Idempotency-Key: header is required (1-255 visible ASCII characters)") from exc
    parse_body(app, PlaceOrder)
    body = json.loads(app.current_event.decoded_body or "{}")
    order = place_order(principal.user_id, key, body, app.lambda_context)
    return json_response(202, order)


handler = http_handler(app)
