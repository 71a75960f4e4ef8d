"""The coupons API's contract, handler by handler, on in-memory fakes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from buynest.core.auth import TokenService
from buynest.coupons.domain import Coupon, iso_from_epoch
from buynest.coupons.runtime import set_coupon_service
from buynest.coupons.service import ISSUE_BACKOFF, CouponService
from tests.conftest import api_event, call, load_handler
from tests.unit.coupon_fakes import FakeCouponRepository

create = load_handler("coupons/create_coupon")
list_ = load_handler("coupons/list_coupons")
get = load_handler("coupons/get_coupon")
issue = load_handler("coupons/issue_coupon")
mine = load_handler("coupons/list_my_coupons")

RESOURCE_CODE = "/coupons/{code}"
RESOURCE_ISSUE = "/coupons/{code}/issue"


class Clock:
    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def repo() -> FakeCouponRepository:
    return FakeCouponRepository()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def service(repo: FakeCouponRepository, clock: Clock, sleeps: list[float], tokens: TokenService) -> Iterator[Any]:
    svc = CouponService(
        repo, clock=clock, backoff=replace(ISSUE_BACKOFF, sleep=sleeps.append, jitter=lambda lo, hi: hi)
    )
    set_coupon_service(svc)
    yield svc
    set_coupon_service(None)


def valid(clock: Clock, **overrides: Any) -> dict[str, Any]:
    body = {
        "code": "WELCOME10",
        "discountType": "PERCENT",
        "value": 10,
        "totalQuantity": 2,
        "expiresAt": iso_from_epoch(int(clock.now) + 3600),
        "minOrderAmount": 10_000,
    }
    body.update(overrides)
    return body


@pytest.fixture
def make_campaign(service: CouponService, clock: Clock) -> Any:
    def factory(code: str = "WELCOME10", quantity: int = 2, expires_in: int = 3600, **kw: Any) -> Any:
        fields: dict[str, Any] = {"discount_type": "PERCENT", "value": 10, "min_order_amount": 0, **kw}
        return service.create_campaign(code, total_quantity=quantity, expires_at=int(clock.now) + expires_in, **fields)

    return factory


def issue_as(token: str | None, code: str = "WELCOME10") -> tuple[int, Any]:
    path = f"/coupons/{code}/issue"
    return call(issue, api_event("POST", path, RESOURCE_ISSUE, path_params={"code": code}, token=token))


def customer(tokens: TokenService, user_id: str) -> str:
    return tokens.issue(user_id, "customer")


def test_admin_creates_a_campaign(service: CouponService, clock: Clock, admin_token: str) -> None:
    body = valid(clock, code="welcome10")
    status, created = call(create, api_event("POST", "/coupons", body=body, token=admin_token))
    assert status == 201
    assert created == {
        "code": "WELCOME10",
        "discountType": "PERCENT",
        "value": 10,
        "totalQuantity": 2,
        "issuedCount": 0,
        "minOrderAmount": 10_000,
        "expiresAt": body["expiresAt"],
        "status": "ACTIVE",
        "createdAt": iso_from_epoch(int(clock.now)),
    }
    status, again = call(create, api_event("POST", "/coupons", body=valid(clock), token=admin_token))
    assert (status, again["error"]["code"]) == (409, "CODE_TAKEN")


def test_expiry_in_another_zone_is_stored_as_utc(service: CouponService, clock: Clock, admin_token: str) -> None:
    status, created = call(
        create,
        api_event("POST", "/coupons", body=valid(clock, expiresAt="2099-01-01T09:00:00+09:00"), token=admin_token),
    )
    assert status == 201 and created["expiresAt"] == "2099-01-01T00:00:00Z"
    no_minimum = {k: v for k, v in valid(clock, code="NOMIN").items() if k != "minOrderAmount"}
    status, created = call(create, api_event("POST", "/coupons", body=no_minimum, token=admin_token))
    assert status == 201 and created["minOrderAmount"] == 0


def test_only_admins_create_and_read_campaigns(
    service: CouponService, clock: Clock, customer_token: str, make_campaign: Any
) -> None:
    make_campaign()
    assert call(create, api_event("POST", "/coupons", body=valid(clock), token=customer_token))[0] == 403
    assert call(create, api_event("POST", "/coupons", body=valid(clock)))[0] == 401
    assert call(list_, api_event("GET", "/coupons", token=customer_token))[0] == 403
    path_params = {"code": "WELCOME10"}
    assert call(get, api_event("GET", "/coupons/WELCOME10", RESOURCE_CODE, path_params=path_params))[0] == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "ab"}, "code"),
        ({"code": "NO SPACES"}, "code"),
        ({"code": "X" * 33}, "code"),
        ({"code": 123}, "code"),
        ({"discountType": "BOGO"}, "discountType"),
        ({"discountType": "percent"}, "discountType"),
        ({"value": 0}, "value"),
        ({"value": 101}, "value"),
        ({"value": "10"}, "value"),
        ({"value": 10.5}, "value"),
        ({"value": True}, "value"),
        ({"discountType": "FIXED", "value": -1}, "value"),
        ({"totalQuantity": 0}, "totalQuantity"),
        ({"totalQuantity": 1_000_001}, "totalQuantity"),
        ({"expiresAt": "2020-01-01T00:00:00Z"}, "expiresAt"),
        ({"expiresAt": "2099-01-01T00:00:00"}, "expiresAt"),
        ({"expiresAt": "next week"}, "expiresAt"),
        ({"expiresAt": 4102444800}, "expiresAt"),
        ({"minOrderAmount": -1}, "minOrderAmount"),
        ({"min_order_amount": 0}, "min_order_amount"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_create_refuses_bad_fields_naming_them(
    service: CouponService, clock: Clock, admin_token: str, change: dict[str, Any], field: str
) -> None:
    status, body = call(create, api_event("POST", "/coupons", body=valid(clock, **change), token=admin_token))
    assert status == 400 and body["error"]["code"] == "VALIDATION_ERROR"
    assert body["error"]["message"].startswith(f"{field}: ")


def test_create_refuses_missing_fields_and_bad_json(service: CouponService, clock: Clock, admin_token: str) -> None:
    for field in ("code", "discountType", "value", "totalQuantity", "expiresAt"):
        body = {k: v for k, v in valid(clock).items() if k != field}
        status, resp = call(create, api_event("POST", "/coupons", body=body, token=admin_token))
        assert status == 400 and resp["error"]["message"] == f"{field}: field is required"
    status, resp = call(create, api_event("POST", "/coupons", body='{"code": ', token=admin_token))
    assert status == 400 and "JSON" in resp["error"]["message"]


def test_customer_is_issued_one_coupon(service: CouponService, tokens: TokenService, make_campaign: Any) -> None:
    make_campaign()
    status, body = issue_as(customer(tokens, "u1"), "welcome10")
    assert status == 201
    assert set(body) == {"couponId", "code", "discountType", "value", "expiresAt", "status"}
    assert (body["code"], body["status"], body["discountType"], body["value"]) == ("WELCOME10", "ISSUED", "PERCENT", 10)
    status, again = issue_as(customer(tokens, "u1"))
    assert (status, again["error"]["code"]) == (409, "ALREADY_ISSUED")


def test_issue_refusals(
    service: CouponService, tokens: TokenService, admin_token: str, clock: Clock, make_campaign: Any
) -> None:
    make_campaign(quantity=1)
    make_campaign("SOON", expires_in=10)
    assert issue_as(customer(tokens, "u1"))[0] == 201
    status, body = issue_as(customer(tokens, "u2"))
    assert (status, body["error"]["code"]) == (410, "SOLD_OUT")
    status, body = issue_as(customer(tokens, "u1"))
    assert (status, body["error"]["code"]) == (409, "ALREADY_ISSUED")
    assert issue_as(customer(tokens, "u1"), "NOSUCHCODE")[0] == 404
    assert issue_as(customer(tokens, "u1"), "bad code!")[0] == 404
    assert issue_as(admin_token)[0] == 403
    assert issue_as(None)[0] == 401
    clock.now += 10
    status, body = issue_as(customer(tokens, "u3"), "SOON")
    assert (status, body["error"]["code"]) == (410, "EXPIRED")


def test_issue_retries_conflicts_with_backoff(
    service: CouponService, repo: FakeCouponRepository, tokens: TokenService, make_campaign: Any, sleeps: list[float]
) -> None:
    make_campaign()
    repo.contention = 3
    assert issue_as(customer(tokens, "u1"))[0] == 201
    assert sleeps == [0.01, 0.02, 0.04] and repo.issue_attempts == 4


def test_issue_gives_a_409_when_every_attempt_conflicts(
    service: CouponService, repo: FakeCouponRepository, tokens: TokenService, make_campaign: Any
) -> None:
    make_campaign()
    repo.contention = 100
    status, body = issue_as(customer(tokens, "u1"))
    assert (status, body["error"]["code"]) == (409, "ISSUE_CONFLICT_RETRY")
    assert repo.issue_attempts == 6 and repo.campaigns["WELCOME10"].issued_count == 0


class SoldOutDuringConflicts(FakeCouponRepository):
    """Every issue conflicts while other customers sell the campaign out."""

    def issue(self, coupon: Coupon, now: int) -> None:
        campaign = self.campaigns[coupon.code]
        self.campaigns[coupon.code] = replace(campaign, issued_count=campaign.total_quantity)
        self.contention = 1
        super().issue(coupon, now)


def test_after_conflicts_a_sold_out_campaign_says_sold_out(tokens: TokenService, clock: Clock) -> None:
    repo = SoldOutDuringConflicts()
    service = CouponService(repo, clock=clock, backoff=replace(ISSUE_BACKOFF, sleep=lambda _: None))
    service.create_campaign("RUSH", "FIXED", 1000, 5, int(clock.now) + 60, 0)
    set_coupon_service(service)
    try:
        status, body = issue_as(customer(tokens, "u1"), "RUSH")
    finally:
        set_coupon_service(None)
    assert (status, body["error"]["code"]) == (410, "SOLD_OUT")


def test_issue_when_the_cheap_read_misses_a_new_campaign(
    service: CouponService, repo: FakeCouponRepository, tokens: TokenService, make_campaign: Any
) -> None:
    make_campaign()
    repo.stale_peek = True
    assert issue_as(customer(tokens, "u1"))[0] == 201


def test_admin_sees_the_issued_count(
    service: CouponService, tokens: TokenService, admin_token: str, make_campaign: Any
) -> None:
    make_campaign(quantity=3)
    issue_as(customer(tokens, "u1"))
    issue_as(customer(tokens, "u2"))
    status, body = call(
        get, api_event("GET", "/coupons/welcome10", RESOURCE_CODE, path_params={"code": "welcome10"}, token=admin_token)
    )
    assert status == 200 and body["issuedCount"] == 2 and body["totalQuantity"] == 3 and body["status"] == "ACTIVE"
    status, body = call(
        get, api_event("GET", "/coupons/NOPE", RESOURCE_CODE, path_params={"code": "NOPE"}, token=admin_token)
    )
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")


def test_admin_lists_campaigns_newest_first_by_page(
    service: CouponService, clock: Clock, admin_token: str, make_campaign: Any
) -> None:
    for i in range(5):
        make_campaign(f"CODE{i}")
        clock.now += 1
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        status, body = call(list_, api_event("GET", "/coupons", query=query, token=admin_token))
        assert status == 200 and len(body["items"]) <= 2
        seen += [c["code"] for c in body["items"]]
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert seen == ["CODE4", "CODE3", "CODE2", "CODE1", "CODE0"]
    for query in ({"limit": "0"}, {"limit": "101"}, {"cursor": "garbage!"}, {"sort": "code"}):
        status, body = call(list_, api_event("GET", "/coupons", query=query, token=admin_token))
        assert status == 400 and body["error"]["code"] == "VALIDATION_ERROR"


def test_my_coupons_show_expired_past_expiry(
    service: CouponService, tokens: TokenService, clock: Clock, make_campaign: Any
) -> None:
    make_campaign("SHORT", expires_in=60)
    make_campaign("LONG", expires_in=86_400)
    token = customer(tokens, "u1")
    issue_as(token, "SHORT")
    issue_as(token, "LONG")
    issue_as(customer(tokens, "u2"), "LONG")
    status, body = call(mine, api_event("GET", "/users/me/coupons", token=token))
    assert status == 200 and body["nextCursor"] is None
    assert sorted((c["code"], c["status"]) for c in body["items"]) == [("LONG", "ISSUED"), ("SHORT", "ISSUED")]
    clock.now += 60
    status, body = call(mine, api_event("GET", "/users/me/coupons", token=token))
    assert sorted((c["code"], c["status"]) for c in body["items"]) == [("LONG", "ISSUED"), ("SHORT", "EXPIRED")]
    assert {"couponId", "minOrderAmount", "issuedAt", "expiresAt"} <= set(body["items"][0])


def test_my_coupons_pages_and_refuses_another_customers_cursor(
    service: CouponService, tokens: TokenService, make_campaign: Any
) -> None:
    for i in range(3):
        make_campaign(f"C{i}XX")
        issue_as(customer(tokens, "u1"), f"C{i}XX")
        issue_as(customer(tokens, "u2"), f"C{i}XX")
    status, first = call(
        mine, api_event("GET", "/users/me/coupons", query={"limit": "2"}, token=customer(tokens, "u1"))
    )
    assert status == 200 and len(first["items"]) == 2 and first["nextCursor"]
    query = {"limit": "2", "cursor": first["nextCursor"]}
    status, rest = call(mine, api_event("GET", "/users/me/coupons", query=query, token=customer(tokens, "u1")))
    assert status == 200 and len(rest["items"]) == 1 and rest["nextCursor"] is None
    status, body = call(mine, api_event("GET", "/users/me/coupons", query=query, token=customer(tokens, "u2")))
    assert status == 400 and "cursor" in body["error"]["message"]
    assert call(mine, api_event("GET", "/users/me/coupons"))[0] == 401
