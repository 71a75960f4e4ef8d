"""Live settings (buynest.core.settings): parsing, bounds, defaults equal to the values the code had before they
became settings, what a missing, bad or unreadable parameter does (the default, one warning, never an error), and
each rule that reads one, with a value other than its default."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from buynest.cart import domain as cart_domain
from buynest.cart.runtime import set_cart_service
from buynest.cart.service import CartService
from buynest.core import settings as live
from buynest.core.auth import Principal, TokenService
from buynest.core.retry import Backoff
from buynest.core.settings import (
    CART_LINE_LIMIT,
    IMAGES_PER_PRODUCT,
    LOGIN_LOCKOUT_THRESHOLD,
    LOGIN_LOCKOUT_WINDOW_SECONDS,
    MAX_CART_LINES,
    PENDING_ORDER_TIMEOUT_SECONDS,
    POINTS_RATE_PERCENT,
    SETTINGS,
    InvalidSetting,
    LiveSettings,
    setting,
)
from buynest.images import domain as images_domain
from buynest.images.domain import TooManyImages
from buynest.images.service import ImageService
from buynest.orders import domain as orders_domain
from buynest.orders.domain import OrderStatus, points_earned
from buynest.orders.schemas import PlaceOrder
from buynest.orders.service import OrderService, events_for_change
from buynest.products import domain as products_domain
from buynest.products.service import ProductService
from buynest.users import domain as users_domain
from buynest.users.domain import InvalidCredentials, Lockout, TooManyAttempts
from buynest.users.service import UserService
from tests.template import resources
from tests.unit.cart_fakes import FakeCartRepository, FakeCatalogView
from tests.unit.conftest import Clock
from tests.unit.coupon_fakes import FakePublisher
from tests.unit.fakes import (
    FakeImageLinks,
    FakeImageRepository,
    FakeObjectStorage,
    FakeProductRepository,
    FakeUserRepository,
)
from tests.unit.order_fakes import FakeCatalog, FakeOrderRepository, FakeWorkflow
from tests.unit.test_cart import put_item

PATH = "/buynest/test/settings/"


class FakeSsm:
    """The settings' parameters as texts by name; ``down`` makes every read fail as an unreachable SSM would."""

    def __init__(self, **values: str) -> None:
        self.values = {PATH + name.replace("_", "-"): text for name, text in values.items()}
        self.down = False
        self.reads: list[list[str]] = []

    def __call__(self, names: Sequence[str]) -> Mapping[str, str]:
        self.reads.append(list(names))
        if self.down:
            raise ConnectionError("ssm unreachable")
        return {name: self.values[name] for name in names if name in self.values}

    def put(self, name: str, text: str) -> None:
        self.values[PATH + name] = text


class FakeLogger:
    def __init__(self) -> None:
        self.warnings: list[dict[str, Any]] = []

    def warning(self, message: str, extra: dict[str, Any]) -> None:
        self.warnings.append({"message": message, **extra})


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> FakeLogger:
    fake = FakeLogger()
    monkeypatch.setattr(live, "logger", fake)
    return fake


@pytest.fixture
def ssm() -> FakeSsm:
    return FakeSsm()


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def settings(ssm: FakeSsm, ticks: Ticks) -> Iterator[LiveSettings]:
    """The container's live settings (what ``setting(name)`` reads), on the fake SSM."""
    installed = LiveSettings(PATH, fetch=ssm, max_age=30, clock=ticks)
    live.set_live_settings(installed)
    yield installed
    live.set_live_settings(None)


# ---- parsing and defaults ----


@pytest.mark.parametrize(("text", "value"), [("40", 40), (" 7\n", 7), ("050", 50), ("1", 1), ("99", 99)])
def test_a_whole_number_within_bounds_is_accepted(text: str, value: int) -> None:
    assert SETTINGS[CART_LINE_LIMIT].parse(text) == value


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("0", "cart-line-limit: 0 is not between 1 and 99"),
        ("100", "cart-line-limit: 100 is not between 1 and 99"),
        ("-3", "cart-line-limit: '-3' is not a whole number"),
        ("4.5", "cart-line-limit: '4.5' is not a whole number"),
        ("forty", "cart-line-limit: 'forty' is not a whole number"),
        ("", "cart-line-limit: '' is not a whole number"),
        ("١٢", "cart-line-limit: '١٢' is not a whole number"),  # Arabic-Indic digits: int() would take them
        ("1e3", "cart-line-limit: '1e3' is not a whole number"),
        ("9" * 20, f"cart-line-limit: '{'9' * 20}' is not a whole number"),
    ],
)
def test_anything_else_is_refused_saying_why(text: str, why: str) -> None:
    with pytest.raises(InvalidSetting) as refused:
        SETTINGS[CART_LINE_LIMIT].parse(text)
    assert str(refused.value) == why


def test_the_defaults_are_the_values_the_code_had_and_the_template_declares() -> None:
    assert {name: spec.default for name, spec in SETTINGS.items()} == {
        POINTS_RATE_PERCENT: orders_domain.POINTS_RATE_PERCENT,
        PENDING_ORDER_TIMEOUT_SECONDS: 300,
        LOGIN_LOCKOUT_THRESHOLD: users_domain.LOCKOUT_THRESHOLD,
        LOGIN_LOCKOUT_WINDOW_SECONDS: users_domain.LOCKOUT_WINDOW_SECONDS,
        IMAGES_PER_PRODUCT: images_domain.MAX_IMAGES_PER_PRODUCT,
        CART_LINE_LIMIT: cart_domain.MAX_LINES,
    }
    declared = {
        res["Properties"]["Name"]["Fn::Sub"]: res["Properties"]["Value"]
        for res in resources("AWS::SSM::Parameter").values()
        if "/settings/" in str(res["Properties"].get("Name"))
    }
    assert declared == {f"/buynest/${{Stage}}/settings/{name}": str(s.default) for name, s in SETTINGS.items()}
    for spec in SETTINGS.values():
        assert spec.minimum <= spec.default <= spec.maximum


def test_a_full_cart_can_always_be_ordered_in_one_order_and_one_stock_transaction() -> None:
    assert SETTINGS[CART_LINE_LIMIT].maximum == MAX_CART_LINES
    assert MAX_CART_LINES <= orders_domain.MAX_LINES <= products_domain.MAX_PRODUCTS_PER_ORDER
    body = {"items": [{"productId": f"p{i}", "quantity": 1} for i in range(MAX_CART_LINES)],
            "payment": {"method": "card", "token": "tok_ok"}}  # fmt: skip
    assert len(PlaceOrder.model_validate_json(json.dumps(body)).items) == MAX_CART_LINES
    assert len(products_domain.merge_lines((f"p{i}", 1) for i in range(MAX_CART_LINES))) == MAX_CART_LINES


# ---- reading them ----


def test_stored_values_are_read_in_one_call_and_cached(settings: LiveSettings, ssm: FakeSsm, ticks: Ticks) -> None:
    ssm.put(LOGIN_LOCKOUT_THRESHOLD, "3")
    ssm.put(LOGIN_LOCKOUT_WINDOW_SECONDS, "120")
    assert settings.values(LOGIN_LOCKOUT_THRESHOLD, LOGIN_LOCKOUT_WINDOW_SECONDS) == {
        LOGIN_LOCKOUT_THRESHOLD: 3,
        LOGIN_LOCKOUT_WINDOW_SECONDS: 120,
    }
    assert ssm.reads == [[PATH + LOGIN_LOCKOUT_THRESHOLD, PATH + LOGIN_LOCKOUT_WINDOW_SECONDS]]
    assert setting(LOGIN_LOCKOUT_THRESHOLD)() == 3


def test_a_missing_or_bad_value_gives_the_default_and_one_warning(
    settings: LiveSettings, ssm: FakeSsm, ticks: Ticks, warnings: FakeLogger
) -> None:
    ssm.put(CART_LINE_LIMIT, "lots")
    for _ in range(5):
        assert settings.get(CART_LINE_LIMIT) == 50
        assert settings.get(IMAGES_PER_PRODUCT) == 10  # not stored at all
    assert [(w["setting"], w["problem"], w["default"]) for w in warnings.warnings] == [
        (CART_LINE_LIMIT, "cart-line-limit: 'lots' is not a whole number", 50),
        (IMAGES_PER_PRODUCT, "images-per-product: the parameter is missing", 10),
    ]
    # a missing parameter is asked for again only once the cache age has passed
    assert sum(PATH + IMAGES_PER_PRODUCT in read for read in ssm.reads) == 1
    ticks.now += 31
    ssm.put(IMAGES_PER_PRODUCT, "4")
    ssm.put(CART_LINE_LIMIT, "7")
    assert (settings.get(IMAGES_PER_PRODUCT), settings.get(CART_LINE_LIMIT)) == (4, 7)
    ssm.put(CART_LINE_LIMIT, "lots")  # the same problem again, after a good value: warned again
    assert settings.get(CART_LINE_LIMIT) == 50
    assert len(warnings.warnings) == 3


def test_an_unreachable_ssm_gives_the_defaults_and_is_not_hammered(
    settings: LiveSettings, ssm: FakeSsm, ticks: Ticks, warnings: FakeLogger
) -> None:
    ssm.put(CART_LINE_LIMIT, "7")
    ssm.down = True
    assert [settings.get(CART_LINE_LIMIT) for _ in range(10)] == [50] * 10
    assert len(ssm.reads) == 1 and len(warnings.warnings) == 1
    assert warnings.warnings[0]["problem"] == "cart-line-limit: the parameter could not be read (ConnectionError)"
    ssm.down = False
    ticks.now += 31
    assert settings.get(CART_LINE_LIMIT) == 7


def test_an_unknown_setting_is_a_programming_error_at_once() -> None:
    with pytest.raises(KeyError):
        setting("cart-lines")


# ---- the rules, each with a value other than its default ----


def order_env(points_rate: Any = 1, pending_timeout: Any = 300) -> Any:
    class Env:
        repo = FakeOrderRepository()
        clock = Clock()
        publisher = FakePublisher()
        service = OrderService(
            repo,
            FakeCatalog({"tea": 12000, "cup": 8000}),
            FakeWorkflow(),
            publisher,
            clock=clock,
            pending_timeout=pending_timeout,
            points_rate=points_rate,
        )

    return Env()


def place(env: Any) -> Any:
    body = {"items": [{"productId": "tea", "quantity": 2}, {"productId": "cup", "quantity": 1}],
            "payment": {"method": "card", "token": "tok_ok"}}  # fmt: skip
    order = env.service.place("alice", PlaceOrder.model_validate_json(json.dumps(body)))
    env.service.on_reply("StockReserved", {"orderId": order.order_id}, order.order_id)
    return order


def final_event(old: Any, new: Any) -> tuple[str, int]:
    """The detail-type and ``pointsEarned`` of the event the change of the order stands for."""
    (entry,) = events_for_change(old, new, final_only=old is None)
    return entry["DetailType"], json.loads(entry["Detail"])["data"]["pointsEarned"]


def test_points_are_earned_at_the_rate_of_the_moment_and_a_cancel_takes_back_exactly_those(
    settings: LiveSettings, ssm: FakeSsm, ticks: Ticks
) -> None:
    assert points_earned(32000) == 320 and points_earned(32000, 5) == 1600 and points_earned(199, 0) == 0
    env = order_env(points_rate=setting(POINTS_RATE_PERCENT))
    ssm.put(POINTS_RATE_PERCENT, "5")
    order = place(env)
    confirmed = env.service.confirm(order.order_id, "pay_1")
    assert confirmed.status == OrderStatus.CONFIRMED and confirmed.points_earned == 1600  # 5 % of 32,000
    assert final_event(None, confirmed) == ("OrderConfirmed", 1600)

    ssm.put(POINTS_RATE_PERCENT, "2")
    ticks.now += 31
    cancelled = env.service.cancel(Principal("alice", "customer"), order.order_id)
    assert final_event(confirmed, cancelled) == ("OrderCancelled", 1600)
    assert env.service.confirm(place(env).order_id, "pay_2").points_earned == 640  # the next one: 2 %


def test_the_sweeper_times_out_pending_orders_after_the_live_timeout(
    settings: LiveSettings, ssm: FakeSsm, ticks: Ticks
) -> None:
    env = order_env(pending_timeout=setting(PENDING_ORDER_TIMEOUT_SECONDS))
    order = env.service.place("alice", PlaceOrder.model_validate_json(json.dumps({
        "items": [{"productId": "tea", "quantity": 1}], "payment": {"method": "card", "token": "tok_ok"}})))  # fmt: skip
    env.clock.now += 120
    assert env.service.sweep()["timedOut"] == 0  # the default, 300 s
    ssm.put(PENDING_ORDER_TIMEOUT_SECONDS, "100")
    ticks.now += 31
    assert env.service.sweep()["timedOut"] == 1
    assert env.repo.get(order.order_id).failure_reason == "TIMEOUT"


def test_the_lockout_follows_the_live_threshold_and_window(clock: Clock, tokens: TokenService) -> None:
    lockout = [Lockout(threshold=2, window_seconds=60)]
    users = UserService(FakeUserRepository(), PlainHasher(), lambda: tokens, clock=clock, lockout=lambda: lockout[0])
    users.signup("kim@example.com", "password1", "Kim")
    for _ in range(2):
        with pytest.raises(InvalidCredentials):
            users.login("kim@example.com", "wrong-password")
    with pytest.raises(TooManyAttempts) as locked:
        users.login("kim@example.com", "password1")
    assert "try again in 60 seconds" in str(locked.value)
    lockout[0] = Lockout(threshold=3, window_seconds=60)  # raised: one more attempt in the same window
    with pytest.raises(InvalidCredentials):
        users.login("kim@example.com", "wrong-password")
    with pytest.raises(TooManyAttempts):
        users.login("kim@example.com", "password1")
    clock.now += 61
    assert users.login("kim@example.com", "password1")[0]


class PlainHasher:
    def hash(self, password: str) -> str:
        return f"plain${password}"

    def verify(self, password_hash: str, password: str) -> bool:
        return password_hash == f"plain${password}"

    def needs_rehash(self, password_hash: str) -> bool:
        return False

    def dummy_verify(self, password: str) -> None:
        return None


def test_images_per_product_follows_the_live_setting(settings: LiveSettings, ssm: FakeSsm, ticks: Ticks) -> None:
    product_repo = FakeProductRepository()
    product = ProductService(product_repo, FakeImageLinks()).create(
        name="Mug", description="", price=1000, stock=1, category="kitchen"
    )
    service = ImageService(
        FakeImageRepository(product_repo),
        FakeObjectStorage(),
        max_images=setting(IMAGES_PER_PRODUCT),
        clock=lambda: datetime(2026, 12, 4, tzinfo=UTC),
    )
    ssm.put(IMAGES_PER_PRODUCT, "1")
    service.request_upload(product.product_id, "image/png", 10)
    with pytest.raises(TooManyImages):
        service.request_upload(product.product_id, "image/png", 10)
    ssm.put(IMAGES_PER_PRODUCT, "2")
    ticks.now += 31
    service.request_upload(product.product_id, "image/png", 10)


def test_the_cart_line_limit_follows_the_live_setting_through_the_api(
    settings: LiveSettings, ssm: FakeSsm, ticks: Ticks, customer_token: str, warnings: FakeLogger
) -> None:
    shelf = FakeCatalogView({f"p{i}": (f"P{i}", 1000, 5) for i in range(4)})
    set_cart_service(CartService(FakeCartRepository(), shelf, clock=lambda: "2026-12-04T00:00:00Z",
                                 backoff=Backoff(max_attempts=2, sleep=lambda _: None),
                                 max_lines=setting(CART_LINE_LIMIT)))  # fmt: skip
    try:
        ssm.put(CART_LINE_LIMIT, "2")
        assert [put_item(customer_token, f"p{i}", {"quantity": 1})[0] for i in range(2)] == [200, 200]
        status, error = put_item(customer_token, "p2", {"quantity": 1})
        assert (status, error["error"]["code"]) == (409, "CART_FULL")
        assert "already has 2 lines" in error["error"]["message"]

        ssm.put(CART_LINE_LIMIT, "3; DROP")  # a bad value: the default (50), logged, never a 5xx
        ticks.now += 31
        assert put_item(customer_token, "p2", {"quantity": 1})[0] == 200
        assert [w["setting"] for w in warnings.warnings] == [CART_LINE_LIMIT]
    finally:
        set_cart_service(None)
