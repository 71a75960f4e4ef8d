"""GET /users/me: the caller's profile, points and saved delivery address (null until one is saved)."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.auth import authenticate
from buynest.core.http import json_response, make_app
from buynest.core.observability import http_handler
from buynest.users.runtime import address_service, user_service

app = make_app()


@app.get("/users/me")
def get_me() -> Response[str]:
    principal = authenticate(app)
    user = user_service().get(principal.user_id)
    address = address_service().public(principal.user_id)
    return json_response(200, {**user.public(), "points": user.points, "address": address})


handler = http_handler(app)
