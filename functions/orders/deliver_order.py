"""POST /admin/orders/{orderId}/deliver (admin): a shipped order reached its customer; ``OrderDelivered`` follows
from the table's stream."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import require_admin
from buynest.core.http import json_response, make_app, path_param
from buynest.core.observability import http_handler
from buynest.orders.runtime import order_service

app = make_app()


@app.post("/admin/orders/<orderId>/deliver")
def deliver_order(orderId: str) -> Response[str]:  # noqa: N803 - named as in the contract's path
    require_admin(app)
    order = order_service().deliver(path_param(app, "orderId"))
    return json_response(200, order.public())


handler = http_handler(app)
