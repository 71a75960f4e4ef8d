"""A shopper's journey in a real browser: catalog → product → checkout → the order followed live to its end."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import ORDER_TIMEOUT_MS, fill_address, open_route, report
from tests.e2e.conftest import Api, unique_email


def sign_up(page: Page, shop_url: str, check_page: Any = None) -> str:
    email = unique_email("browser")
    open_route(page, shop_url, "/signup")
    page.get_by_label("Name").fill("김민지")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password (8 to 128 characters)").fill("correct-horse-1")
    if check_page:
        check_page("signup")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    return email


def log_in(page: Page, shop_url: str, email: str, password: str) -> None:
    open_route(page, shop_url, "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_shopper_buys_with_a_claimed_coupon_and_sees_the_order_confirmed(
    page: Page, shop_url: str, check_page: Any, catalog_product: dict[str, Any], api: Api, admin: dict[str, Any]
) -> None:
    """Guards the whole happy path: the catalog filtered by category shows the product at ₩45,000 with its Korean
    name, the product page its two pictures with thumbnails, a coupon claimed by code is offered at checkout, and
    the order page follows the timeline to CONFIRMED with the discounted total."""
    code = f"BR{uuid.uuid4().hex[:8].upper()}"
    resp = api.post(
        "/coupons",
        token=admin["token"],
        json={"code": code, "discountType": "FIXED", "value": 5000, "totalQuantity": 10,
              "expiresAt": "2099-01-01T00:00:00Z", "minOrderAmount": 0},
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    sign_up(page, shop_url, check_page)

    # Given the catalog filtered by the product's category
    open_route(page, shop_url, "/")
    expect(page.locator("#products .card").first).to_be_visible()
    shown_ms = page.evaluate("() => performance.getEntriesByName('products-visible')[0].startTime")
    report(f"catalog: first products visible {shown_ms:.0f} ms after navigation (the page's own mark)")
    check_page("catalog")
    page.get_by_label("Category").fill(catalog_product["category"])
    page.get_by_role("button", name="Show").click()
    card = page.locator("#products .card")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("도자기 머그컵 Ceramic mug")
    expect(card).to_contain_text("₩45,000")
    expect(card.locator("img")).to_have_js_property("complete", True)

    # When the shopper opens it: two pictures, switched by their thumbnails
    card.get_by_role("link").click()
    expect(page.get_by_role("heading", name="도자기 머그컵 Ceramic mug")).to_be_visible()
    thumbs = page.get_by_role("button", name=re.compile(r"Show picture \d of 2"))
    expect(thumbs).to_have_count(2)
    main_image = page.locator("img.main")
    first_src = main_image.get_attribute("src")
    thumbs.nth(1).click()
    expect(thumbs.nth(1)).to_have_attribute("aria-pressed", "true")
    assert main_image.get_attribute("src") != first_src
    category_link = page.get_by_role("link", name=catalog_product["category"])
    expect(category_link).to_have_attribute("href", f"#/?category={catalog_product['category']}")
    check_page("product")

    # ...claims the coupon by its code
    open_route(page, shop_url, "/coupons")
    page.get_by_label("Coupon code").fill(code.lower())
    page.get_by_role("button", name="Claim").click()
    expect(page.locator("#my-coupons")).to_contain_text(code)
    check_page("my-coupons")

    # ...and checks out two of them with the coupon and tok_ok
    open_route(page, shop_url, f"/checkout/{catalog_product['productId']}")
    expect(page.get_by_text("tok_decline")).to_be_visible()  # the test cards are listed with what they do
    page.get_by_label("Quantity of 도자기 머그컵 Ceramic mug").fill("2")
    page.get_by_label("Coupon", exact=True).select_option(label=f"{code}: ₩5,000 off")
    expect(page.locator("#total")).to_have_text("₩85,000")
    page.get_by_label(re.compile("tok_ok")).check()
    fill_address(page)  # a new customer has no saved address: checkout asks for one
    check_page("checkout")
    page.get_by_role("button", name="Place order").click()

    # Then the order page follows the order to CONFIRMED, each status in the timeline
    expect(page.locator("#order-status")).to_have_text("Confirmed", timeout=ORDER_TIMEOUT_MS)
    timeline = page.locator("#timeline li")
    expect(timeline.first).to_contain_text("Order received")
    expect(timeline.last).to_contain_text("Confirmed")
    expect(page.get_by_text("₩85,000")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("null")  # no empty value shown as the word "null"
    check_page("order-confirmed")

    # ...and it is in "My orders"
    open_route(page, shop_url, "/orders")
    expect(page.locator("tbody tr").first).to_contain_text("Confirmed")
    check_page("my-orders")


def test_a_declined_card_ends_failed_with_the_reason_in_words(
    page: Page, shop_url: str, check_page: Any, catalog_product: dict[str, Any], new_customer: Any
) -> None:
    """Guards the failure path: a tok_decline order is followed to FAILED and says why in words."""
    customer = new_customer("이서준")
    log_in(page, shop_url, customer["email"], customer["password"])
    open_route(page, shop_url, f"/checkout/{catalog_product['productId']}")
    page.get_by_label(re.compile("tok_decline")).check()
    fill_address(page)
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#order-status")).to_have_text("Failed", timeout=ORDER_TIMEOUT_MS)
    expect(page.locator("#failure-reason")).to_have_text("Your card was declined. Nothing was charged.")
    check_page("order-failed")


def test_api_errors_are_shown_in_words(page: Page, shop_url: str) -> None:
    """Guards the error display: a wrong password shows the API's refusal as a sentence, not a status code."""
    log_in_attempt = unique_email("nobody")
    open_route(page, shop_url, "/login")
    page.get_by_label("Email").fill(log_in_attempt)
    page.get_by_label("Password").fill("wrong-password-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("That email and password do not match an account.")


def test_the_catalog_pages_through_a_category(page: Page, shop_url: str, api: Api, admin: dict[str, Any]) -> None:
    """Guards the cursor paging: 13 products in a category are 12 on the first page and 1 on the next, and
    "Previous page" goes back to the first 12."""
    category = f"paging-{uuid.uuid4().hex[:8]}"
    for n in range(13):
        resp = api.post(
            "/products",
            token=admin["token"],
            json={"name": f"Cup {n:02d}", "description": "x", "price": 1000 + n, "stock": 5, "category": category},
        )
        assert resp.status_code == 201, resp.text
    open_route(page, shop_url, f"/?category={category}")
    cards = page.locator("#products .card")
    expect(cards).to_have_count(12)
    page.get_by_role("link", name="Next page").click()
    expect(cards).to_have_count(1)
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)
    page.get_by_role("link", name="Previous page").click()
    expect(cards).to_have_count(12)
    expect(page.get_by_role("link", name="Previous page")).to_have_count(0)
