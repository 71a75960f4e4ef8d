"""DELETE /products/{productId}/images/{imageId} (admin): take an image off its product and delete its objects."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import require_admin
from buynest.core.http import json_response, make_app, path_param
from buynest.core.observability import http_handler
from buynest.images.runtime import image_service

app = make_app()


@app.delete("/products/<productId>/images/<imageId>")
def delete_image(productId: str, imageId: str) -> Response[str]:  # noqa: N803 - named as in the contract's path
    require_admin(app)
    image_service().delete(path_param(app, "productId"), path_param(app, "imageId"))
    return json_response(204)


handler = http_handler(app)
