"""The saved delivery address: its validation (lengths, ISO 3166-1 alpha-2 country, phone characters), PUT
/users/me/address for customers only, and GET /users/me showing it (null until one is saved)."""

from __future__ import annotations

from typing import Any

import pytest

from buynest.core.auth import TokenService
from buynest.users.address import COUNTRIES
from buynest.users.service import UserService
from tests.conftest import api_event, call, load_handler

put_address = load_handler("users/put_address")
get_me = load_handler("users/get_me")

ADDRESS = {
    "recipient": "Kim Minji",
    "phone": "+82 (10) 1234-5678",
    "line1": "123 Teheran-ro",
    "line2": "Apt 501",
    "city": "Seoul",
    "postalCode": "06234",
    "country": "KR",
}


def put(token: str, body: Any) -> tuple[int, Any]:
    return call(put_address, api_event("PUT", "/users/me/address", body=body, token=token))


@pytest.fixture
def customer(users: UserService, tokens: TokenService) -> str:
    user = users.signup("kim@example.com", "password1", "Kim")
    return tokens.issue(user.user_id, "customer")


def test_a_saved_address_shows_on_the_profile(customer: str) -> None:
    status, me = call(get_me, api_event("GET", "/users/me", token=customer))
    assert status == 200 and me["address"] is None
    assert put(customer, ADDRESS) == (200, ADDRESS)
    assert call(get_me, api_event("GET", "/users/me", token=customer))[1]["address"] == ADDRESS
    replaced = {**ADDRESS, "line1": "  1 Jong-ro  ", "line2": ""}
    assert put(customer, replaced) == (200, {**ADDRESS, "line1": "1 Jong-ro", "line2": None})
    assert call(get_me, api_event("GET", "/users/me", token=customer))[1]["address"]["line1"] == "1 Jong-ro"


def test_line2_is_optional(customer: str) -> None:
    body = {k: v for k, v in ADDRESS.items() if k != "line2"}
    assert put(customer, body) == (200, {**body, "line2": None})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"country": "ZZ"}, "country: must be an ISO 3166-1 alpha-2 country code, e.g. KR"),
        ({"country": "kr"}, "country: String should match pattern '^[A-Z]{2}$'"),
        ({"country": "KOR"}, "country: String should match pattern '^[A-Z]{2}$'"),
        ({"phone": "010-1234-abcd"}, "phone: String should match pattern '^[+0-9 ()-]+$'"),
        ({"phone": "+1 (2)"}, "phone: must have at least 4 digits"),
        ({"phone": "1" * 33}, "phone: String should have at most 32 characters"),
        ({"recipient": ""}, "recipient: String should have at least 1 character"),
        ({"recipient": "   "}, "recipient: String should have at least 1 character"),
        ({"line1": "x" * 201}, "line1: String should have at most 200 characters"),
        ({"line2": "x" * 201}, "line2: String should have at most 200 characters"),
        ({"city": "x" * 101}, "city: String should have at most 100 characters"),
        ({"postalCode": "1" * 21}, "postalCode: String should have at most 20 characters"),
        ({"postalCode": 6234}, "postalCode: Input should be a valid string"),
        ({"floor": "3"}, "floor: unknown field"),
    ],
)
def test_bad_addresses_are_400_naming_the_field(customer: str, change: dict[str, Any], message: str) -> None:
    status, error = put(customer, {**ADDRESS, **change})
    assert (status, error["error"]["code"], error["error"]["message"]) == (400, "VALIDATION_ERROR", message)
    assert call(get_me, api_event("GET", "/users/me", token=customer))[1]["address"] is None


@pytest.mark.parametrize("field", ["recipient", "phone", "line1", "city", "postalCode", "country"])
def test_every_field_but_line2_is_required(customer: str, field: str) -> None:
    status, error = put(customer, {k: v for k, v in ADDRESS.items() if k != field})
    assert (status, error["error"]["message"]) == (400, f"{field}: field is required")


def test_the_country_list_is_iso_3166_alpha_2() -> None:
    assert len(COUNTRIES) == 249 and {"KR", "US", "JP", "GB", "DE"} <= COUNTRIES and "UK" not in COUNTRIES


def test_only_customers_save_an_address(users: UserService, admin_token: str) -> None:
    assert put("", ADDRESS)[0] == 401
    status, error = put(admin_token, ADDRESS)
    assert (status, error["error"]["code"]) == (403, "FORBIDDEN")


def test_a_user_that_no_longer_exists_gets_404(users: UserService, tokens: TokenService) -> None:
    status, error = put(tokens.issue("01GONE", "customer"), ADDRESS)
    assert (status, error["error"]["code"]) == (404, "NOT_FOUND")
