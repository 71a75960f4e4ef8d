"""POST /products (admin): add a product to the catalog."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import require_admin
from buynest.core.http import json_response, make_app, parse_body
from buynest.core.observability import http_handler
from buynest.products.runtime import product_service
from buynest.products.schemas import CreateProduct

app = make_app()


@app.post("/products")
def create_product() -> Response[str]:
    require_admin(app)
    req = parse_body(app, CreateProduct)
    product = product_service().create(req.name, req.description, req.price, req.stock, req.category)
    return json_response(201, product.public())


handler = http_handler(app)
