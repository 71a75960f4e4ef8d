"""POST /auth/signup: create a customer account."""

from aws_lambda_powertools.event_handler import Response

from buynest.core.http import json_response, make_app, parse_body
from buynest.core.observability import http_handler
from buynest.users.runtime import user_service
from buynest.users.schemas import SignupRequest

app = make_app()


@app.post("/auth/signup")
def signup() -> Response[str]:
    req = parse_body(app, SignupRequest)
    user = user_service().signup(req.email, req.password, req.name)
    return json_response(201, user.public())


handler = http_handler(app)
