"""POST /coupons/{code}/issue (customer): claim one coupon of a first-come campaign."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import require_customer
from buynest.core.http import json_response, make_app
from buynest.core.observability import count, http_handler
from buynest.coupons.runtime import coupon_service
from buynest.coupons.schemas import code_from_path

app = make_app()


@app.post("/coupons/<code>/issue")
def issue_coupon(code: str) -> Response[str]:
    principal = require_customer(app)
    coupon = coupon_service().issue(code_from_path(app), principal.user_id)
    count("CouponsIssued")
    return json_response(201, coupon.issued_view())


handler = http_handler(app)
