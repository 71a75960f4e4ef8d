"""GET /products: the catalog, newest first, optionally one category, paginated."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.http import json_response, make_app, parse_query
from buynest.core.observability import http_handler
from buynest.core.pagination import page
from buynest.products.runtime import product_service
from buynest.products.schemas import ListProductsQuery

app = make_app()


@app.get("/products")
def list_products() -> Response[str]:
    query = parse_query(app, ListProductsQuery)
    products, cursor = product_service().list(query.category, query.limit, query.cursor)
    return json_response(200, page([p.public() for p in products], cursor))


handler = http_handler(app)
