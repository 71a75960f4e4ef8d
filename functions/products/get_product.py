"""GET /products/{productId}: one product."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.http import json_response, make_app, path_param
from buynest.core.observability import http_handler
from buynest.products.runtime import product_service

app = make_app()


@app.get("/products/<productId>")
def get_product(productId: str) -> Response[str]:  # noqa: N803 - named as in the contract's path
    product = product_service().get(path_param(app, "productId"))
    return json_response(200, product.public())


handler = http_handler(app)
