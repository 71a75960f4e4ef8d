"""The admin order desk in a real browser: an admin finds a customer's confirmed order with the filters, ships it
with a carrier and tracking number and marks it delivered, and the shopper sees it shipped; the API's 409 is shown
in words; a cancel from the desk ends the order CANCELLED."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from tests.browser.conftest import ADDRESS, PHONE, UI_TIMEOUT_MS, open_route
from tests.browser.test_admin import ADMIN_PASSWORD
from tests.browser.test_shopper import log_in
from tests.e2e.conftest import Api, wait_for


@pytest.fixture
def shopper_page(browser: Browser) -> Iterator[Page]:
    """A second browser, the shopper's, beside the admin's ``page``."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="ko-KR")
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the shopper's page: {errors}"


def confirmed_orders(api: Api, admin: dict[str, Any], customer: dict[str, Any], count: int) -> list[str]:
    """``count`` orders of one product by ``customer`` (saved address, tok_ok), each followed until CONFIRMED."""
    product = api.post(
        "/products",
        token=admin["token"],
        json={"name": "놋그릇 Brass bowl", "description": "x", "price": 21000, "stock": 20, "category": "browser-desk"},
    ).json()
    ids = []
    for _ in range(count):
        resp = api.post(
            "/orders",
            token=customer["token"],
            headers={"Idempotency-Key": str(uuid.uuid4())},
            json={"items": [{"productId": product["productId"], "quantity": 1}],
                  "payment": {"method": "card", "token": "tok_ok"}},
        )  # fmt: skip
        assert resp.status_code == 202, resp.text
        ids.append(resp.json()["orderId"])
    for order_id in ids:
        wait_for(
            lambda oid=order_id: api.get(f"/orders/{oid}", token=customer["token"]).json()["status"] == "CONFIRMED",
            timeout=90,
            interval=0.5,
            what=f"order {order_id} CONFIRMED",
        )
    return ids


def accept(dialog: Dialog) -> None:
    dialog.accept()


def test_admin_ships_and_delivers_an_order_and_the_shopper_sees_it(
    page: Page,
    shopper_page: Page,
    shop_url: str,
    check_page: Any,
    api: Api,
    admin: dict[str, Any],
    new_customer: Any,
) -> None:
    """Guards the desk: the filters find confirmed, unshipped orders; Ship with a carrier and tracking number makes
    the order SHIPPED on the desk and on the shopper's pages; Mark delivered makes it DELIVERED; shipping an order
    someone else has just shipped shows the API's 409 in words; Cancel order ends an order CANCELLED."""
    customer = new_customer("최유진")
    resp = api.request("PUT", "/users/me/address", token=customer["token"], json=ADDRESS)
    assert resp.status_code == 200, resp.text
    shipped_here, shipped_elsewhere, cancelled = confirmed_orders(api, admin, customer, 3)
    tracking = f"CJ{uuid.uuid4().hex[:10].upper()}"

    # Given the desk filtered to confirmed orders not shipped yet
    log_in(page, shop_url, admin["email"], ADMIN_PASSWORD)
    page.get_by_role("link", name="Admin: orders").click()
    page.get_by_label("Order status").select_option("CONFIRMED")
    page.get_by_label("Delivery").select_option("UNFULFILLED")
    page.get_by_role("button", name="Show").click()
    card = page.locator(f'li[data-order="{shipped_here}"]')
    expect(card).to_contain_text("Not shipped yet")
    expect(card).to_contain_text("서울특별시 종로구 세종대로 175")
    expect(page.locator(".desk-order .status").first).to_have_text("Confirmed")
    check_page("admin-orders")

    # When the admin ships it with a carrier and tracking number
    card.get_by_label("Carrier").fill("CJ Logistics")
    card.get_by_label("Tracking number").fill(tracking)
    card.get_by_role("button", name="Ship").click()
    card = page.locator(f'li[data-order="{shipped_here}"]')
    expect(card.locator(".fulfilment")).to_contain_text(f"Shipped · CJ Logistics {tracking}")
    expect(card.get_by_role("button", name="Ship")).to_have_count(0)
    expect(card.get_by_role("button", name="Cancel order")).to_have_count(0)

    # Then the shopper sees it shipped, with the carrier and tracking number
    log_in(shopper_page, shop_url, customer["email"], customer["password"])
    open_route(shopper_page, shop_url, "/orders")
    row = shopper_page.locator("tbody tr", has=shopper_page.locator(f'a[href="#/orders/{shipped_here}"]'))
    expect(row.locator(".fulfilment")).to_contain_text(f"Shipped · CJ Logistics {tracking}")
    open_route(shopper_page, shop_url, f"/orders/{shipped_here}")
    expect(shopper_page.locator("#fulfilment")).to_have_text("Shipped")
    expect(shopper_page.locator("#carrier")).to_have_text("CJ Logistics")
    expect(shopper_page.locator("#tracking")).to_have_text(tracking)

    # ...and once the admin marks it delivered, delivered
    card.get_by_role("button", name="Mark delivered").click()
    expect(page.locator(f'li[data-order="{shipped_here}"] .fulfilment')).to_contain_text("Delivered")
    open_route(shopper_page, shop_url, f"/orders/{shipped_here}")
    expect(shopper_page.locator("#fulfilment")).to_have_text("Delivered")

    # An order shipped behind the page's back: the desk's Ship gets the API's 409, in words
    resp = api.post(f"/admin/orders/{shipped_elsewhere}/ship", token=admin["token"],
                    json={"carrier": "Hanjin", "trackingNumber": "H-1"})  # fmt: skip
    assert resp.status_code == 200, resp.text
    other = page.locator(f'li[data-order="{shipped_elsewhere}"]')
    other.get_by_label("Carrier").fill("CJ Logistics")
    other.get_by_label("Tracking number").fill("T-2")
    other.get_by_role("button", name="Ship").click()
    expect(other.get_by_role("alert")).to_contain_text("This order cannot be shipped")

    # Cancel from the desk (after saying yes to the question) ends the order CANCELLED
    page.once("dialog", accept)
    page.locator(f'li[data-order="{cancelled}"]').get_by_role("button", name="Cancel order").click()
    expect(page.locator(f'li[data-order="{cancelled}"] .status')).to_have_text("Cancelled")
