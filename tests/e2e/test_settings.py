"""A live setting changed on the deployed stack takes effect without a redeploy: the cart line limit, changed with
the code `make config SET=...` runs (scripts/config.py), is enforced by the running functions within their cache
age (30 s), and the value it had is put back afterwards (and seen again) so later tests meet the shop as it was."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from buynest.core.settings import CART_LINE_LIMIT, MAX_AGE_SECONDS
from scripts import config
from tests.e2e.conftest import Api, aws_client, wait_for

# lowers a live setting every cart sees: run alone, after the parallel rest of the suite (Makefile, test-e2e)
pytestmark = pytest.mark.serial

# every container re-reads within MAX_AGE_SECONDS; the margin is for a slow machine
TAKES_EFFECT = MAX_AGE_SECONDS + 45


@pytest.fixture
def settings_client(outputs: dict[str, str]) -> tuple[Any, str]:
    return aws_client(outputs, "ssm"), outputs["SettingsPath"]


@pytest.fixture
def products(api: Api, admin: dict[str, Any]) -> list[str]:
    made = []
    for i in range(3):
        body = {"name": f"Setting item {i} {uuid.uuid4().hex[:6]}", "description": "", "price": 1_000, "stock": 5,
                "category": "e2e-settings"}  # fmt: skip
        resp = api.post("/products", json=body, token=admin["token"])
        assert resp.status_code == 201, resp.text
        made.append(resp.json()["productId"])
    return made


@pytest.fixture
def restore_cart_limit(settings_client: tuple[Any, str]) -> Iterator[Callable[[], None]]:
    """Puts the cart line limit back as it was, with the same code, when the test ends (also when it fails)."""
    ssm, path = settings_client
    before = config.stored(ssm, path).get(CART_LINE_LIMIT, str(config.SETTINGS[CART_LINE_LIMIT].default))
    restored: list[bool] = []

    def restore() -> None:
        config.set_setting(ssm, path, CART_LINE_LIMIT, before)
        restored.append(True)

    yield restore
    if not restored:
        restore()


def test_a_lower_cart_line_limit_takes_effect_without_a_redeploy_and_is_restored(
    api: Api,
    new_customer: Callable[..., Any],
    products: list[str],
    settings_client: tuple[Any, str],
    restore_cart_limit: Callable[[], None],
) -> None:
    token = new_customer()["token"]
    first, second, third = products
    for product_id in (first, second):
        assert api.request("PUT", f"/cart/items/{product_id}", token=token, json={"quantity": 1}).status_code == 200

    def third_line_refused() -> bool:
        """Try to add the third product: True when the limit refuses it; an accepted line is taken off again, so
        the cart keeps its two lines while the old limit is still cached."""
        resp = api.request("PUT", f"/cart/items/{third}", token=token, json={"quantity": 1})
        if resp.status_code == 409:
            assert resp.json()["error"]["code"] == "CART_FULL", resp.text
            return True
        assert resp.status_code == 200, resp.text
        assert api.delete(f"/cart/items/{third}", token=token).status_code == 200
        return False

    # Given a shop that lowers its cart line limit to 2 (as `make config SET=cart-line-limit=2` does)
    ssm, path = settings_client
    assert config.set_setting(ssm, path, CART_LINE_LIMIT, "2") == 2
    assert {r["name"]: r["effective"] for r in config.rows(ssm, path)}[CART_LINE_LIMIT] == 2

    # Then the running functions refuse a third line within their cache age, with no deploy
    wait_for(third_line_refused, timeout=TAKES_EFFECT, interval=1.0, what="the cart line limit of 2 to be enforced")
    resp = api.request("PUT", f"/cart/items/{third}", token=token, json={"quantity": 1})
    assert resp.status_code == 409 and "already has 2 lines" in resp.json()["error"]["message"]
    # a full cart may still change the lines it has
    assert api.request("PUT", f"/cart/items/{first}", token=token, json={"quantity": 3}).status_code == 200

    # And once the limit is put back, a third line is accepted again
    restore_cart_limit()
    wait_for(lambda: not third_line_refused_keeping(api, token, third), timeout=TAKES_EFFECT, interval=1.0,
             what="the restored cart line limit")  # fmt: skip
    cart = api.get("/cart", token=token).json()
    assert sorted(i["productId"] for i in cart["items"]) == sorted(products)


def third_line_refused_keeping(api: Api, token: str, product_id: str) -> bool:
    """Add the line (kept when accepted): True while the limit still refuses it."""
    resp = api.request("PUT", f"/cart/items/{product_id}", token=token, json={"quantity": 1})
    assert resp.status_code in (200, 409), resp.text
    return resp.status_code == 409
