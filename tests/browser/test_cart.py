"""The cart journeys in a real browser: search → product → add to cart → cart → checkout with an address → the order
confirmed and the cart emptied; a declined card ending FAILED with the cart kept; the account page's address."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import ADDRESS, LABELS, ORDER_TIMEOUT_MS, fill_address, open_route
from tests.browser.test_shopper import log_in, sign_up
from tests.e2e.conftest import Api


def new_product(api: Api, admin: dict[str, Any], *, price: int, stock: int) -> dict[str, Any]:
    """A product whose name has a word of its own (``word``), so a search finds it alone."""
    word = f"z{uuid.uuid4().hex[:10]}"
    resp = api.post(
        "/products",
        token=admin["token"],
        json={"name": f"청자 화병 Celadon vase {word}", "description": "푸른 빛의 화병.", "price": price,
              "stock": stock, "category": "browser-cart"},
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    return {**resp.json(), "word": word}


def reload_until(page: Page, shop_url: str, route: str, shown: Callable[[], Locator], timeout_s: float = 60) -> None:
    """Open ``route`` again and again (the page shows a snapshot; the change it waits for happens on the server,
    asynchronously) until ``shown()`` is visible, failing after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        open_route(page, shop_url, route)
        try:
            expect(shown()).to_be_visible(timeout=3_000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def test_search_add_to_cart_check_out_and_the_cart_is_emptied(
    page: Page, shop_url: str, check_page: Any, api: Api, admin: dict[str, Any]
) -> None:
    """Guards the cart journey: a search finds the product, "Add to cart" puts two in the cart (the header counts
    them), the cart page changes a quantity (line total and subtotal follow) and warns when the shop has fewer than
    the line asks for, checkout with a new address orders the cart, the order is CONFIRMED, and the cart is then
    empty; the address is saved on the account, and the shopper can cancel the unshipped order."""
    product = new_product(api, admin, price=38000, stock=5)
    sign_up(page, shop_url)

    # Given a search for the product's own word
    open_route(page, shop_url, "/")
    page.get_by_label("Search").fill(f"celadon {product['word']}")
    page.get_by_role("button", name="Show").click()
    card = page.locator("#products .card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("₩38,000")

    # When the shopper adds two to the cart from the product page
    card.get_by_role("link").click()
    expect(page.get_by_role("heading", name=product["name"])).to_be_visible()
    page.get_by_label("Quantity", exact=True).fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text("Added to your cart (2 in it).")).to_be_visible()
    expect(page.locator("#cart-link")).to_have_text("Cart (2)")

    # Then the cart shows the line, and a changed quantity changes the totals
    page.get_by_role("link", name="View cart").click()
    row = page.locator("#cart-lines tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(product["name"])
    expect(row).to_contain_text("₩38,000")
    quantity = page.get_by_label(f"Quantity of {product['name']}")
    expect(quantity).to_have_value("2")
    expect(page.locator("#subtotal")).to_have_text("₩76,000")
    check_page("cart")
    quantity.fill("3")
    quantity.press("Tab")
    expect(page.locator("#subtotal")).to_have_text("₩114,000")
    expect(row.locator(".line-total")).to_have_text("₩114,000")
    expect(page.locator("#cart-link")).to_have_text("Cart (3)")

    # ...more than the shop has is flagged, and checkout waits until it is fixed
    quantity = page.get_by_label(f"Quantity of {product['name']}")
    quantity.fill("6")
    quantity.press("Tab")
    expect(page.get_by_text(re.compile("Out of stock: the shop has fewer than 6 left"))).to_be_visible()
    expect(page.get_by_role("link", name="Check out")).to_have_count(0)
    quantity = page.get_by_label(f"Quantity of {product['name']}")
    quantity.fill("2")
    quantity.press("Tab")
    expect(page.locator("#subtotal")).to_have_text("₩76,000")
    expect(page.get_by_text(re.compile("Out of stock"))).to_have_count(0)

    # When the shopper checks out the cart to a new address with tok_ok
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    expect(page.locator("#total")).to_have_text("₩76,000")
    fill_address(page)
    page.get_by_label(re.compile("tok_ok")).check()
    check_page("checkout-cart")
    page.get_by_role("button", name="Place order").click()

    # Then the order is confirmed for the cart's lines...
    expect(page.locator("#order-status")).to_have_text("Confirmed", timeout=ORDER_TIMEOUT_MS)
    order_route = page.url.split("#", 1)[1]
    expect(page.get_by_text("₩76,000").first).to_be_visible()
    expect(page.locator("#fulfilment")).to_have_text("Not shipped yet")
    expect(page.locator("#ship-to")).to_contain_text("김민지, 010-1234-5678, 서울특별시 종로구 세종대로 175")

    # ...and the cart is emptied (the cart takes a confirmed order's lines off when it hears of it)
    reload_until(page, shop_url, "/cart", lambda: page.locator("#cart-empty"))
    expect(page.locator("#cart-link")).to_have_text("Cart (0)")

    # ...and the address was saved on the account
    open_route(page, shop_url, "/account")
    expect(page.locator("#saved-address")).to_contain_text("서울특별시 종로구 세종대로 175")

    # ...and the shopper can still cancel it, not shipped yet (after saying yes to the question)
    open_route(page, shop_url, order_route)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel order").click()
    expect(page.locator("#order-status")).to_have_text("Cancelled")
    expect(page.locator("#timeline li").last).to_contain_text("Cancelled")
    expect(page.get_by_role("button", name="Cancel order")).to_have_count(0)


def test_a_declined_card_fails_the_order_and_keeps_the_cart(
    page: Page, shop_url: str, check_page: Any, api: Api, admin: dict[str, Any], new_customer: Any
) -> None:
    """Guards the failure path from the cart: with the saved address offered first, a tok_decline order ends
    FAILED with the reason in words, and the cart still holds its line."""
    product = new_product(api, admin, price=12000, stock=5)
    customer = new_customer("이서준")
    resp = api.request("PUT", "/users/me/address", token=customer["token"], json=ADDRESS)
    assert resp.status_code == 200, resp.text
    resp = api.request("PUT", f"/cart/items/{product['productId']}", token=customer["token"], json={"quantity": 1})
    assert resp.status_code == 200, resp.text
    log_in(page, shop_url, customer["email"], customer["password"])
    expect(page.locator("#cart-link")).to_have_text("Cart (1)")

    page.get_by_role("link", name="Cart (1)").click()
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_label(re.compile("My saved address: 김민지"))).to_be_checked()
    expect(page.get_by_label("Recipient's name")).to_be_hidden()
    page.get_by_label(re.compile("tok_decline")).check()
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#order-status")).to_have_text("Failed", timeout=ORDER_TIMEOUT_MS)
    expect(page.locator("#failure-reason")).to_have_text("Your card was declined. Nothing was charged.")

    open_route(page, shop_url, "/cart")
    expect(page.locator("#cart-lines tbody tr")).to_contain_text(product["name"])
    expect(page.locator("#cart-link")).to_have_text("Cart (1)")


def test_the_account_page_saves_an_address_and_names_a_refused_field(
    page: Page, shop_url: str, check_page: Any, new_customer: Any
) -> None:
    """Guards the address form: every field has a label, a country code the API refuses is reported in words with
    the field's label, and a good address is saved and shown."""
    customer = new_customer("박지훈")
    log_in(page, shop_url, customer["email"], customer["password"])
    page.get_by_role("link", name="My account").click()
    expect(page.locator("#saved-address")).to_have_text("No address saved yet.")
    fill_address(page)
    page.get_by_label(LABELS["country"]).fill("XX")
    page.get_by_role("button", name="Save address").click()
    expect(page.get_by_role("alert")).to_contain_text("Country (two-letter code, e.g. KR): must be an ISO 3166-1")
    page.get_by_label(LABELS["country"]).fill("kr")
    page.get_by_role("button", name="Save address").click()
    expect(page.get_by_text("Address saved.")).to_be_visible()
    expect(page.locator("#saved-address")).to_contain_text("김민지, 010-1234-5678")
    check_page("account")
