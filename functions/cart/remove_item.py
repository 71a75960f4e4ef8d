"""DELETE /cart/items/{productId} (customer): remove that product's line (nothing to do if there is none)."""

from aws_lambda_powertools.event_handler import Response

from buynest.cart.runtime import cart_service
from buynest.core.auth import require_customer
from buynest.core.http import json_response, make_app, path_param
from buynest.core.observability import http_handler

app = make_app()


@app.delete("/cart/items/<productId>")
def remove_cart_item(productId: str) -> Response[str]:  # noqa: N803 - the path parameter's name
    principal = require_customer(app)
    return json_response(200, cart_service().remove_item(principal.user_id, path_param(app, "productId")))


handler = http_handler(app)
