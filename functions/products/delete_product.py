"""DELETE /products/{productId} (admin): remove a product."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import require_admin
from buynest.core.http import json_response, make_app, path_param
from buynest.core.observability import http_handler
from buynest.products.runtime import product_service

app = make_app()


@app.delete("/products/<productId>")
def delete_product(productId: str) -> Response[str]:  # noqa: N803 - named as in the contract's path
    require_admin(app)
    product_service().delete(path_param(app, "productId"))
    return json_response(204)


handler = http_handler(app)
