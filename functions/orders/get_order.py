"""GET /orders/{orderId}: one order, for its owner or an admin."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import authenticate
from buynest.core.http import json_response, make_app, path_param
from buynest.core.observability import http_handler
from buynest.orders.runtime import order_service

app = make_app()


@app.get("/orders/<orderId>")
def get_order(orderId: str) -> Response[str]:  # noqa: N803 - named as in the contract's path
    principal = authenticate(app)
    order = order_service().get(principal, path_param(app, "orderId"))
    return json_response(200, order.public())


handler = http_handler(app)
