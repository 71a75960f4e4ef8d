"""PUT /users/me/address (customer): save the delivery address that orders are sent to."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import require_customer
from buynest.core.http import json_response, make_app, parse_body
from buynest.core.observability import http_handler
from buynest.users.address import Address
from buynest.users.runtime import address_service

app = make_app()


@app.put("/users/me/address")
def put_address() -> Response[str]:
    principal = require_customer(app)
    return json_response(200, address_service().save(principal.user_id, parse_body(app, Address)))


handler = http_handler(app)
