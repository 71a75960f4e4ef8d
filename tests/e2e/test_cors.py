"""CORS on the deployed stack: the storefront, on another origin, can preflight and read every API response."""

from __future__ import annotations

from tests.e2e.conftest import Api

ORIGIN = "http://127.0.0.1:4566"


def test_the_gateway_answers_the_preflight_of_an_order(api: Api) -> None:
    """Guards POST /orders from a page: its Idempotency-Key and Authorization headers must be allowed."""
    resp = api.request(
        "OPTIONS",
        "/orders",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
        },
    )
    assert resp.status_code in (200, 204)
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in resp.headers["Access-Control-Allow-Methods"].split(",")
    allowed = {h.lower() for h in resp.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key"} <= allowed


def test_errors_from_the_functions_carry_the_cors_headers(api: Api) -> None:
    """Guards error display in the browser: a 401 and a 404 are readable cross-origin."""
    unauthorized = api.get("/users/me", headers={"Origin": ORIGIN})
    missing = api.get("/products/nosuchproduct", headers={"Origin": ORIGIN})
    assert (unauthorized.status_code, missing.status_code) == (401, 404)
    for resp in (unauthorized, missing):
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        assert resp.json()["error"]["code"]
