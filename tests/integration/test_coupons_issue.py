"""Issuing coupons against moto's DynamoDB: the real conditional transaction decides who gets one, under a rush of
concurrent requests; admin reads, the customer's list and the expiry sweep run through the handlers."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType
from typing import Any

import pytest
from moto.dynamodb.exceptions import TransactionCanceledException
from moto.dynamodb.models import DynamoDBBackend

from buynest.core.errors import BuynestError, status_for
from buynest.coupons.domain import (
    PERCENT,
    AlreadyIssued,
    Campaign,
    CouponExpired,
    CouponNotFound,
    SoldOut,
    iso_from_epoch,
)
from buynest.coupons.runtime import coupon_service, set_coupon_service
from buynest.coupons.service import CouponService
from tests.conftest import FakeContext, api_event, call, load_handler
from tests.integration.coupons_fixtures import CouponsEnv, coupons_env

create = load_handler("coupons/create_coupon")
list_ = load_handler("coupons/list_coupons")
get = load_handler("coupons/get_coupon")
issue = load_handler("coupons/issue_coupon")
mine = load_handler("coupons/list_my_coupons")
expire = load_handler("coupons/expire_coupons")


@pytest.fixture
def env(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[CouponsEnv]:
    yield from coupons_env(aws, monkeypatch)


def campaign(code: str, quantity: int = 50, expires_at: int | None = None, issued: int = 0) -> Campaign:
    now = int(time.time())
    return Campaign(
        code=code,
        discount_type=PERCENT,
        value=10,
        total_quantity=quantity,
        issued_count=issued,
        min_order_amount=0,
        expires_at=expires_at if expires_at is not None else now + 3600,
        created_at=iso_from_epoch(now),
    )


def create_as_admin(env: CouponsEnv, **overrides: Any) -> tuple[int, Any]:
    body = {
        "code": "RUSH50",
        "discountType": "FIXED",
        "value": 5_000,
        "totalQuantity": 50,
        "expiresAt": iso_from_epoch(int(time.time()) + 3600),
        "minOrderAmount": 30_000,
        **overrides,
    }
    return call(create, api_event("POST", "/coupons", body=body, token=env.tokens.issue("admin", "admin")))


def issue_as(env: CouponsEnv, user_id: str, code: str = "RUSH50", handler: ModuleType = issue) -> tuple[int, Any]:
    event = api_event(
        "POST",
        f"/coupons/{code}/issue",
        "/coupons/{code}/issue",
        path_params={"code": code},
        token=env.tokens.issue(user_id, "customer"),
    )
    return call(handler, event)


def stored_coupons(env: CouponsEnv, code: str) -> list[dict[str, Any]]:
    items = env.ddb.scan(TableName=env.table)["Items"]
    return [i for i in items if i["pk"]["S"].startswith("USER#") and i["code"]["S"] == code]


def test_a_rush_of_200_issues_exactly_the_quantity_once_per_customer(env: CouponsEnv) -> None:
    # Given a campaign of 50 and 160 customers, 40 of whom press the button twice
    assert create_as_admin(env)[0] == 201
    presses = [f"user-{i:03d}" for i in range(160)] + [f"user-{i:03d}" for i in range(40)]

    # When all 200 claims arrive at once. They go to the service the function runs, not through the HTTP handler:
    # Powertools' resolver keeps the request it is handling on its class (BaseRouter.current_event), which is right
    # for Lambda (one request per process at a time) but mixes requests up between threads of one process. The
    # HTTP path under real concurrency (one process per request) is the e2e rush in tests/e2e/test_coupons.py.
    service = coupon_service()  # one, as the function's runtime builds it

    def press(user: str) -> tuple[str, int, Any]:
        try:
            coupon = service.issue("RUSH50", user)
        except BuynestError as exc:
            return user, status_for(exc), {"error": {"code": exc.code, "message": exc.message}}
        return user, 201, coupon.issued_view()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(press, presses))

    # Then exactly 50 are issued, to 50 different customers, and everyone else is refused without a 5xx
    statuses = Counter(status for _, status, _ in results)
    assert statuses[201] == 50 and set(statuses) <= {201, 409, 410}
    winners = [user for user, status, _ in results if status == 201]
    assert len(set(winners)) == 50
    codes = Counter(body["error"]["code"] for _, status, body in results if status != 201)
    assert set(codes) <= {"SOLD_OUT", "ALREADY_ISSUED"} and codes["SOLD_OUT"] >= 110
    stored = stored_coupons(env, "RUSH50")
    assert len(stored) == 50 and {i["userId"]["S"] for i in stored} == set(winners)
    assert env.item("CAMPAIGN#RUSH50", "CAMPAIGN")["issuedCount"] == {"N": "50"}  # type: ignore[index]
    status, body = issue_as(env, winners[0])
    assert (status, body["error"]["code"]) == (409, "ALREADY_ISSUED")


def test_the_transaction_decides_every_refusal(env: CouponsEnv) -> None:
    now = int(time.time())
    env.repo.create_campaign(campaign("ONE", quantity=1))
    env.repo.create_campaign(campaign("OLD", expires_at=now - 1))
    first = campaign("ONE").issue_to("u1", "C1", iso_from_epoch(now))
    env.repo.issue(first, now)
    with pytest.raises(AlreadyIssued):
        env.repo.issue(campaign("ONE").issue_to("u1", "C2", iso_from_epoch(now)), now)
    with pytest.raises(SoldOut):
        env.repo.issue(campaign("ONE").issue_to("u2", "C3", iso_from_epoch(now)), now)
    with pytest.raises(CouponExpired):
        env.repo.issue(campaign("OLD").issue_to("u2", "C4", iso_from_epoch(now)), now)
    with pytest.raises(CouponNotFound):
        env.repo.issue(campaign("GHOST").issue_to("u2", "C5", iso_from_epoch(now)), now)
    assert [i["couponId"]["S"] for i in stored_coupons(env, "ONE")] == ["C1"]
    assert stored_coupons(env, "OLD") == stored_coupons(env, "GHOST") == []
    assert env.item("CAMPAIGN#GHOST", "CAMPAIGN") is None


def test_transaction_conflicts_are_retried(env: CouponsEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given DynamoDB cancels the next two issue transactions for a conflict on the campaign
    env.repo.create_campaign(campaign("BUSY"))
    conflicts = iter([True, True])
    original = DynamoDBBackend.transact_write_items

    def conflicting(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        if next(conflicts, False):
            raise TransactionCanceledException(
                [(None, None, None), ("TransactionConflict", "Transaction is ongoing for the item", None)]
            )
        original(self, transact_items)

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", conflicting)

    # When a customer asks, Then the third attempt issues the coupon, once
    status, body = issue_as(env, "u1", "BUSY")
    assert status == 201 and body["code"] == "BUSY"
    assert env.item("CAMPAIGN#BUSY", "CAMPAIGN")["issuedCount"] == {"N": "1"}  # type: ignore[index]


def test_expired_and_unknown_campaigns(env: CouponsEnv) -> None:
    env.repo.create_campaign(campaign("GONE", expires_at=int(time.time()) - 1))
    status, body = issue_as(env, "u1", "GONE")
    assert (status, body["error"]["code"]) == (410, "EXPIRED")
    status, body = issue_as(env, "u1", "NOSUCH")
    assert (status, body["error"]["code"]) == (404, "NOT_FOUND")


def test_admin_creates_reads_and_lists_campaigns(env: CouponsEnv) -> None:
    admin = env.tokens.issue("admin", "admin")
    clock = Clock()
    set_coupon_service(CouponService(env.repo, clock=clock))
    assert create_as_admin(env, code="FIRST", totalQuantity=3)[0] == 201
    status, body = create_as_admin(env, code="first")
    assert (status, body["error"]["code"]) == (409, "CODE_TAKEN")
    clock.now += 1
    assert create_as_admin(env, code="SECOND")[0] == 201
    issue_as(env, "u1", "FIRST")
    issue_as(env, "u2", "FIRST")
    path = {"code": "first"}
    status, body = call(get, api_event("GET", "/coupons/first", "/coupons/{code}", path_params=path, token=admin))
    assert status == 200 and (body["issuedCount"], body["totalQuantity"], body["status"]) == (2, 3, "ACTIVE")
    seen: list[tuple[str, int]] = []
    cursor = None
    while True:
        query = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        status, page = call(list_, api_event("GET", "/coupons", query=query, token=admin))
        assert status == 200
        seen += [(c["code"], c["issuedCount"]) for c in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == [("SECOND", 0), ("FIRST", 2)]


class Clock:
    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now


def test_my_coupons_newest_first_and_cursors_stay_mine(env: CouponsEnv) -> None:
    for code in ("AAA", "BBB", "CCC"):
        env.repo.create_campaign(campaign(code))
        issue_as(env, "u1", code)
        issue_as(env, "u2", code)
    token = env.tokens.issue("u1", "customer")
    status, first = call(mine, api_event("GET", "/users/me/coupons", query={"limit": "2"}, token=token))
    assert status == 200 and len(first["items"]) == 2 and first["nextCursor"]
    query = {"limit": "2", "cursor": first["nextCursor"]}
    status, rest = call(mine, api_event("GET", "/users/me/coupons", query=query, token=token))
    items = first["items"] + rest["items"]
    assert sorted(c["code"] for c in items) == ["AAA", "BBB", "CCC"] and rest["nextCursor"] is None
    ids = [c["couponId"] for c in items]
    assert ids == sorted(ids, reverse=True) and {c["status"] for c in items} == {"ISSUED"}
    other = env.tokens.issue("u2", "customer")
    status, body = call(mine, api_event("GET", "/users/me/coupons", query=query, token=other))
    assert (status, body["error"]["code"]) == (400, "VALIDATION_ERROR")


def test_the_sweep_marks_expired_coupons_and_the_list_shows_them(env: CouponsEnv) -> None:
    # Given a campaign expiring in a minute with three coupons issued, one of them held by an order
    clock = Clock()
    service = CouponService(env.repo, clock=clock)
    set_coupon_service(service)
    service.create_campaign("SHORT", PERCENT, 10, 10, int(clock.now) + 60, 0)
    for user in ("u1", "u2", "u3"):
        service.issue("SHORT", user)
    env.ddb.update_item(
        TableName=env.table,
        Key={"pk": {"S": "USER#u3"}, "sk": {"S": "COUPON#SHORT"}},
        UpdateExpression="SET #s = :r, reservedBy = :o",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":r": {"S": "RESERVED"}, ":o": {"S": "o1"}},
    )

    # When the expiry passes, the list already says EXPIRED; then the sweep runs twice
    clock.now += 61
    status, body = call(mine, api_event("GET", "/users/me/coupons", token=env.tokens.issue("u1", "customer")))
    assert status == 200 and [c["status"] for c in body["items"]] == ["EXPIRED"]
    first = expire.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, FakeContext())
    second = expire.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, FakeContext())

    # Then the issued ones are stored EXPIRED, the held one is untouched, and the campaign leaves the sweep's list
    assert (first["expired"], first["complete"]) == (2, True)
    assert (second["expired"], second["campaigns_finished"]) == (0, 1)
    statuses = {u: env.item(f"USER#{u}", "COUPON#SHORT")["status"]["S"] for u in ("u1", "u2", "u3")}  # type: ignore[index]
    assert statuses == {"u1": "EXPIRED", "u2": "EXPIRED", "u3": "RESERVED"}
    assert "sweep" not in env.item("CAMPAIGN#SHORT", "CAMPAIGN")  # type: ignore[operator]
    item = env.item("USER#u1", "COUPON#SHORT")
    assert item is not None and int(item["purgeAt"]["N"]) > int(clock.now)
