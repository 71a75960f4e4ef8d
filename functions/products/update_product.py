"""PATCH /products/{productId} (admin): change any subset of a product's fields."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import require_admin
from buynest.core.http import json_response, make_app, parse_body, path_param
from buynest.core.observability import http_handler
from buynest.products.runtime import product_service
from buynest.products.schemas import UpdateProduct

app = make_app()


@app.patch("/products/<productId>")
def update_product(productId: str) -> Response[str]:  # noqa: N803 - named as in the contract's path
    require_admin(app)
    product_id = path_param(app, "productId")
    req = parse_body(app, UpdateProduct)
    product = product_service().update(product_id, req.changes())
    return json_response(200, product.public())


handler = http_handler(app)
