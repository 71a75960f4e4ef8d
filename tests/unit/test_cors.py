"""CORS: the storefront (another origin) can read every response of the API, errors included."""

from __future__ import annotations

from typing import Any

import pytest

from buynest.core.errors import NotFound
from buynest.core.http import CORS_ALLOW_HEADERS, CORS_MAX_AGE_SECONDS, json_response, make_app
from tests.conftest import FakeContext, api_event
from tests.template import template

ORIGIN = "http://127.0.0.1:4566"


def cors_app() -> Any:
    app = make_app()

    @app.get("/ok")
    def _ok() -> Any:
        return json_response(200, {"ok": True})

    @app.get("/missing")
    def _missing() -> Any:
        raise NotFound("thing 'x' does not exist")

    @app.get("/bug")
    def _bug() -> Any:
        raise RuntimeError("boom")

    return app


@pytest.mark.parametrize(("path", "status"), [("/ok", 200), ("/missing", 404), ("/bug", 500), ("/nowhere", 404)])
def test_every_response_carries_the_cors_headers(path: str, status: int) -> None:
    """Guards errors too: without the CORS config on the resolver a browser could not read an error's message."""
    resp = cors_app().resolve(api_event("GET", path, headers={"Origin": ORIGIN}), FakeContext())
    headers = {k.lower(): v for k, v in resp["multiValueHeaders"].items()}
    assert resp["statusCode"] == status
    assert headers["access-control-allow-origin"] == ["*"]
    assert "Idempotency-Key" in headers["access-control-allow-headers"][0].split(",")


def test_the_gateway_allows_what_the_functions_allow() -> None:
    """Guards drift between the preflight the gateway answers (template Api Cors, gateway responses) and the
    headers the functions send (buynest.core.http.CORS)."""
    api = template()["Resources"]["Api"]["Properties"]
    preflight = set(api["Cors"]["AllowHeaders"].strip("'").split(","))
    assert set(CORS_ALLOW_HEADERS) <= preflight
    assert {"Authorization", "Content-Type"} <= preflight
    assert api["Cors"]["MaxAge"] == f"'{CORS_MAX_AGE_SECONDS}'"
    for name, response in api["GatewayResponses"].items():
        headers = response["ResponseParameters"]["Headers"]
        assert headers["Access-Control-Allow-Origin"] == "'*'", name
        assert set(headers["Access-Control-Allow-Headers"].strip("'").split(",")) == preflight, name
