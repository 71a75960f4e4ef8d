"""POST /coupons (admin): create a coupon campaign."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import require_admin
from buynest.core.http import json_response, make_app, parse_body
from buynest.core.observability import http_handler
from buynest.coupons.runtime import coupon_service
from buynest.coupons.schemas import CreateCoupon

app = make_app()


@app.post("/coupons")
def create_coupon() -> Response[str]:
    require_admin(app)
    req = parse_body(app, CreateCoupon)
    service = coupon_service()
    campaign = service.create_campaign(
        req.code, req.discount_type, req.value, req.total_quantity, req.expires_epoch(), req.min_order_amount
    )
    return json_response(201, campaign.public(service.now()))


handler = http_handler(app)
