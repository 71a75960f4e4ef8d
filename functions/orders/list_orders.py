"""GET /orders: the caller's orders, newest first, paginated."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import authenticate
from buynest.core.http import json_response, make_app, parse_query
from buynest.core.observability import http_handler
from buynest.core.pagination import page
from buynest.orders.runtime import order_service
from buynest.orders.schemas import ListOrdersQuery

app = make_app()


@app.get("/orders")
def list_orders() -> Response[str]:
    principal = authenticate(app)
    query = parse_query(app, ListOrdersQuery)
    orders, cursor = order_service().list_mine(principal, query.limit, query.cursor)
    return json_response(200, page([o.public() for o in orders], cursor))


handler = http_handler(app)
