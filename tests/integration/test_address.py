"""The saved delivery address on moto's DynamoDB (the users table of template.yaml), through the handlers: saved
beside the user's item, shown by GET /users/me, replaced by the next PUT, and refused for a user that is gone."""

from __future__ import annotations

from typing import Any

import pytest

from buynest.core.auth import TokenService, set_token_service
from buynest.users.runtime import user_service
from tests.conftest import api_event, call, load_handler

put_address = load_handler("users/put_address")
get_me = load_handler("users/get_me")

ADDRESS = {"recipient": "Kim Minji", "phone": "010-1234-5678", "line1": "123 Teheran-ro", "line2": None,
           "city": "Seoul", "postalCode": "06234", "country": "KR"}  # fmt: skip


@pytest.fixture
def tokens(aws: dict[str, Any]) -> TokenService:
    service = TokenService("a" * 40)
    set_token_service(service)
    return service


def test_an_address_is_saved_shown_and_replaced(aws: dict[str, Any], tokens: TokenService) -> None:
    user = user_service().signup("kim@example.com", "password1", "Kim")
    token = tokens.issue(user.user_id, "customer")
    assert call(get_me, api_event("GET", "/users/me", token=token))[1]["address"] is None

    assert call(put_address, api_event("PUT", "/users/me/address", body=ADDRESS, token=token)) == (200, ADDRESS)
    moved = {**ADDRESS, "city": "Busan", "line2": "3F"}
    assert call(put_address, api_event("PUT", "/users/me/address", body=moved, token=token)) == (200, moved)
    status, me = call(get_me, api_event("GET", "/users/me", token=token))
    assert status == 200 and me["address"] == moved and me["email"] == "kim@example.com" and me["points"] == 0


def test_a_user_that_is_gone_cannot_save_an_address(aws: dict[str, Any], tokens: TokenService) -> None:
    """Guards the condition that the user's item exists: no orphan address for a deleted user."""
    token = tokens.issue("01NOSUCHUSER", "customer")
    status, error = call(put_address, api_event("PUT", "/users/me/address", body=ADDRESS, token=token))
    assert (status, error["error"]["code"]) == (404, "NOT_FOUND")
    item = aws["ddb"].get_item(TableName=aws["tables"]["UsersTable"], Key={"pk": {"S": "ADDRESS#01NOSUCHUSER"}})
    assert "Item" not in item
