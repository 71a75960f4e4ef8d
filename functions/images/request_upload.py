"""POST /products/{productId}/images (admin): record a PENDING image and hand out its pre-signed upload."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import require_admin
from buynest.core.http import json_response, make_app, parse_body, path_param
from buynest.core.observability import http_handler
from buynest.images.runtime import image_service
from buynest.images.schemas import RequestUpload

app = make_app()


@app.post("/products/<productId>/images")
def request_upload(productId: str) -> Response[str]:  # noqa: N803 - named as in the contract's path
    require_admin(app)
    product_id = path_param(app, "productId")
    req = parse_body(app, RequestUpload)
    ticket = image_service().request_upload(product_id, req.content_type, req.content_length)
    return json_response(201, ticket.public())


handler = http_handler(app)
