"""PUT /cart/items/{productId} (customer): set that product's line to `quantity` (1..100), adding it if new."""

from aws_lambda_powertools.event_handler import Response

from buynest.cart.runtime import cart_service
from buynest.cart.schemas import SetQuantity
from buynest.core.auth import require_customer
from buynest.core.http import json_response, make_app, parse_body, path_param
from buynest.core.observability import http_handler

app = make_app()


@app.put("/cart/items/<productId>")
def set_cart_item(productId: str) -> Response[str]:  # noqa: N803 - the path parameter's name
    principal = require_customer(app)
    body = parse_body(app, SetQuantity)
    cart = cart_service().set_item(principal.user_id, path_param(app, "productId"), body.quantity)
    return json_response(200, cart)


handler = http_handler(app)
