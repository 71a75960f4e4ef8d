"""POST /orders/{orderId}/cancel (owner or admin): cancel a confirmed order not yet shipped; everything it held is
given back."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import authenticate
from buynest.core.http import json_response, make_app, path_param
from buynest.core.observability import http_handler
from buynest.orders.runtime import order_service

app = make_app()


@app.post("/orders/<orderId>/cancel")
def cancel_order(orderId: str) -> Response[str]:  # noqa: N803 - named as in the contract's path
    principal = authenticate(app)
    order = order_service().cancel(principal, path_param(app, "orderId"))
    return json_response(200, order.public())


handler = http_handler(app)
