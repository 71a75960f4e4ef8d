"""GET /cart (customer): the cart at the catalog's current prices and stock."""

from aws_lambda_powertools.event_handler import Response

from buynest.cart.runtime import cart_service
from buynest.core.auth import require_customer
from buynest.core.http import json_response, make_app
from buynest.core.observability import http_handler

app = make_app()


@app.get("/cart")
def get_cart() -> Response[str]:
    principal = require_customer(app)
    return json_response(200, cart_service().view(principal.user_id))


handler = http_handler(app)
