"""GET /users/me/coupons: the caller's coupons, newest first, paginated; past expiry shows EXPIRED."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import authenticate
from buynest.core.http import json_response, make_app, parse_query
from buynest.core.observability import http_handler
from buynest.core.pagination import page
from buynest.coupons.runtime import coupon_service
from buynest.coupons.schemas import ListMyCouponsQuery

app = make_app()


@app.get("/users/me/coupons")
def list_my_coupons() -> Response[str]:
    principal = authenticate(app)
    query = parse_query(app, ListMyCouponsQuery)
    service = coupon_service()
    coupons, cursor = service.list_coupons(principal.user_id, query.limit, query.cursor)
    now = service.now()
    return json_response(200, page([c.public(now) for c in coupons], cursor))


handler = http_handler(app)
