"""The saved delivery address end to end: null until saved, shown on GET /users/me once saved, validated."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.e2e.conftest import Api

ADDRESS = {"recipient": "Kim Minji", "phone": "+82 10-1234-5678", "line1": "123 Teheran-ro", "line2": "Apt 501",
           "city": "Seoul", "postalCode": "06234", "country": "KR"}  # fmt: skip


def test_a_customer_saves_an_address(api: Api, admin: dict[str, Any], new_customer: Callable[..., Any]) -> None:
    token = new_customer()["token"]
    assert api.get("/users/me", token=token).json()["address"] is None
    saved = api.request("PUT", "/users/me/address", token=token, json=ADDRESS)
    assert (saved.status_code, saved.json()) == (200, ADDRESS)
    assert api.get("/users/me", token=token).json()["address"] == ADDRESS

    bad = api.request("PUT", "/users/me/address", token=token, json={**ADDRESS, "country": "ZZ"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "VALIDATION_ERROR")
    assert "country" in bad.json()["error"]["message"]
    assert api.request("PUT", "/users/me/address", token=admin["token"], json=ADDRESS).status_code == 403
    assert api.get("/users/me", token=token).json()["address"] == ADDRESS
