"""GET /admin/orders (admin): the order desk, every customer's orders newest first, filtered by order status and/or
fulfilment status, paginated (the orders table's ``desk`` index, no scan)."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import require_admin
from buynest.core.http import json_response, make_app, parse_query
from buynest.core.observability import http_handler
from buynest.core.pagination import page
from buynest.orders.runtime import order_service
from buynest.orders.schemas import DeskQuery

app = make_app()


@app.get("/admin/orders")
def list_desk() -> Response[str]:
    require_admin(app)
    query = parse_query(app, DeskQuery)
    orders, cursor = order_service().desk(query.status, query.fulfillment, query.limit, query.cursor)
    return json_response(200, page([o.public() for o in orders], cursor))


handler = http_handler(app)
