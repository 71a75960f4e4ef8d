"""POST /auth/login: exchange email and password for a bearer token."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.http import json_response, make_app, parse_body
from buynest.core.observability import http_handler
from buynest.users.runtime import user_service
from buynest.users.schemas import LoginRequest

app = make_app()


@app.post("/auth/login")
def login() -> Response[str]:
    req = parse_body(app, LoginRequest)
    token, expires_in = user_service().login(req.email, req.password)
    return json_response(200, {"token": token, "expiresIn": expires_in})


handler = http_handler(app)
