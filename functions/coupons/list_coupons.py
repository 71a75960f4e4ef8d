"""GET /coupons (admin): campaigns, newest first, paginated, with the number issued so far."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import require_admin
from buynest.core.http import json_response, make_app, parse_query
from buynest.core.observability import http_handler
from buynest.core.pagination import page
from buynest.coupons.runtime import coupon_service
from buynest.coupons.schemas import ListCouponsQuery

app = make_app()


@app.get("/coupons")
def list_coupons() -> Response[str]:
    require_admin(app)
    query = parse_query(app, ListCouponsQuery)
    service = coupon_service()
    campaigns, cursor = service.list_campaigns(query.limit, query.cursor)
    now = service.now()
    return json_response(200, page([c.public(now) for c in campaigns], cursor))


handler = http_handler(app)
