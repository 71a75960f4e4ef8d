"""An admin's journey in a real browser: a product created, a picture uploaded to S3 and seen READY, coupons,
stats."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import png_bytes
from tests.browser.test_shopper import log_in

ADMIN_PASSWORD = "admin-password-1"


def test_admin_creates_a_product_and_uploads_a_picture_that_becomes_ready(
    page: Page, shop_url: str, check_page: Any, admin: dict[str, Any], tmp_path: Path
) -> None:
    """Guards the admin path: the form creates the product, the file goes to S3 through the pre-signed POST with
    the progress bar filling, and the image is followed from PENDING to READY with its thumbnail shown."""
    log_in(page, shop_url, admin["email"], ADMIN_PASSWORD)
    page.get_by_role("link", name="Admin: products").click()
    expect(page.get_by_role("heading", name="Admin: products")).to_be_visible()
    check_page("admin-products")
    page.get_by_role("link", name="New product").click()
    name = f"Linen apron {uuid.uuid4().hex[:6]}"
    page.get_by_label("Name").fill(name)
    page.get_by_label("Description").fill("앞치마 — washed linen.")
    page.get_by_label("Price (KRW)").fill("32000")
    page.get_by_label("Stock").fill("7")
    page.get_by_label("Category").fill("browser-test")
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_role("heading", name=f"Edit: {name}")).to_be_visible()

    picture = tmp_path / "apron.png"
    picture.write_bytes(png_bytes((30, 140, 90)))
    page.get_by_label("Picture (JPEG, PNG or WebP, at most 5 MiB)").set_input_files(str(picture))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#upload-progress")).to_have_js_property("value", 100)
    ready = page.locator('#images li[data-status="READY"]')
    expect(ready).to_have_count(1, timeout=60_000)
    expect(ready.locator("img")).to_have_js_property("naturalWidth", 320)
    check_page("admin-product")

    # An edit is saved and shows in the shop
    page.get_by_label("Price (KRW)").fill("30000")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    page.get_by_role("link", name="See it in the shop").click()
    expect(page.get_by_text("₩30,000")).to_be_visible()


def test_a_file_that_is_not_a_picture_is_rejected(
    page: Page, shop_url: str, admin: dict[str, Any], api: Any, tmp_path: Path
) -> None:
    """Guards the REJECTED display: bytes that only claim to be PNG end as "Rejected" on the admin page."""
    product = api.post(
        "/products",
        token=admin["token"],
        json={"name": "Fake picture", "description": "x", "price": 1000, "stock": 1, "category": "browser-test"},
    ).json()
    log_in(page, shop_url, admin["email"], ADMIN_PASSWORD)
    page.goto(f"{shop_url}#/admin/products/{product['productId']}")
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"this is not a png at all" * 10)
    page.get_by_label("Picture (JPEG, PNG or WebP, at most 5 MiB)").set_input_files(
        files=[{"name": "fake.png", "mimeType": "image/png", "buffer": fake.read_bytes()}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.locator('#images li[data-status="REJECTED"]')).to_have_count(1, timeout=60_000)
    expect(page.get_by_role("alert")).to_contain_text("not a valid picture")


def test_admin_creates_a_coupon_and_reads_the_stats(
    page: Page, shop_url: str, check_page: Any, admin: dict[str, Any]
) -> None:
    """Guards the coupon form (the new coupon is listed) and the stats page (figures and SVG charts)."""
    log_in(page, shop_url, admin["email"], ADMIN_PASSWORD)
    page.get_by_role("link", name="Admin: coupons").click()
    code = f"ADM{uuid.uuid4().hex[:6].upper()}"
    page.get_by_label("Code (3 to 32 of A-Z, 0-9, _ or -)").fill(code)
    page.get_by_label("Discount type").select_option("PERCENT")
    page.get_by_label("Value (KRW, or percent 1-100)").fill("10")
    page.get_by_role("button", name="Create coupon").click()
    expect(page.get_by_text(f"Coupon {code} created.")).to_be_visible()
    expect(page.locator("#coupons")).to_contain_text(code)
    expect(page.locator("#coupons")).to_contain_text("10% off")
    check_page("admin-coupons")

    page.get_by_role("link", name="Admin: stats").click()
    expect(page.locator("#revenue")).to_have_text(
        re.compile(r"^₩[\d,]+$")
    )  # a KRW amount, whatever the other tests sold
    expect(page.get_by_role("img", name="Confirmed and failed orders")).to_be_visible()
    check_page("admin-stats")
