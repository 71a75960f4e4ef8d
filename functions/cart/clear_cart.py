"""DELETE /cart (customer): empty the cart."""

from aws_lambda_powertools.event_handler import Response

from buynest.cart.runtime import cart_service
from buynest.core.auth import require_customer
from buynest.core.http import json_response, make_app
from buynest.core.observability import http_handler

app = make_app()


@app.delete("/cart")
def clear_cart() -> Response[str]:
    principal = require_customer(app)
    cart_service().clear(principal.user_id)
    return json_response(204)


handler = http_handler(app)
