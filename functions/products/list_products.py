"""GET /products: the catalog, newest first or by price, optionally one category and a name search (``q``),
paginated."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.http import json_response, make_app, parse_query
from buynest.core.observability import http_handler
from buynest.core.pagination import page
from buynest.products.runtime import product_service
from buynest.products.schemas import ListProductsQuery
from buynest.products.search import SearchSort

app = make_app()


@app.get("/products")
def list_products() -> Response[str]:
    query = parse_query(app, ListProductsQuery)
    products, cursor = product_service().list(
        query.category, query.limit, query.cursor, query.q, SearchSort(query.sort)
    )
    return json_response(200, page([p.public() for p in products], cursor))


handler = http_handler(app)
