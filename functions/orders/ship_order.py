"""POST /admin/orders/{orderId}/ship (admin): a confirmed, unfulfilled order with an address goes out with its
carrier and tracking number; ``OrderShipped`` follows from the table's stream."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import require_admin
from buynest.core.http import json_response, make_app, parse_body, path_param
from buynest.core.observability import http_handler
from buynest.orders.runtime import order_service
from buynest.orders.schemas import ShipOrder

app = make_app()


@app.post("/admin/orders/<orderId>/ship")
def ship_order(orderId: str) -> Response[str]:  # noqa: N803 - named as in the contract's path
    require_admin(app)
    order_id = path_param(app, "orderId")
    body = parse_body(app, ShipOrder)
    order = order_service().ship(order_id, body.carrier, body.tracking_number)
    return json_response(200, order.public())


handler = http_handler(app)
