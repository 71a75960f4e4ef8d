"""GET /coupons/{code} (admin): one campaign with the number issued so far."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import require_admin
from buynest.core.http import json_response, make_app
from buynest.core.observability import http_handler
from buynest.coupons.runtime import coupon_service
from buynest.coupons.schemas import code_from_path

app = make_app()


@app.get("/coupons/<code>")
def get_coupon(code: str) -> Response[str]:
    require_admin(app)
    service = coupon_service()
    campaign = service.get_campaign(code_from_path(app))
    return json_response(200, campaign.public(service.now()))


handler = http_handler(app)
