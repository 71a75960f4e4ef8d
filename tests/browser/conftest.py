"""Browser fixtures: Debian's chromium driven by Playwright (never Playwright's own browser download), the deployed
storefront, and the checks every main page gets (axe-core, its own transfer size, a screenshot)."""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.e2e.conftest import Api, admin, api, new_customer, outputs, wait_for  # noqa: F401  (shared fixtures)

LOCAL = Path(os.environ.get("BUYNEST_LOCAL_DIR", Path(__file__).resolve().parents[2] / ".local"))
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("BUYNEST_CHROMIUM", "/usr/bin/chromium")
AXE_JS = Path(os.environ.get("BUYNEST_AXE_JS", LOCAL / "axe-core-4.14.1" / "axe.min.js"))
SCREENSHOTS = LOCAL / "screenshots"
README_SHOTS = ROOT / "docs" / "screenshots"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
MAX_PAGE_BYTES = 150 * 1024
UI_TIMEOUT_MS = 30_000
ORDER_TIMEOUT_MS = 90_000
expect.set_options(timeout=UI_TIMEOUT_MS)  # the local stack's cold starts take seconds on a busy machine


MEASURED: list[str] = []


def report(line: str) -> None:
    """A measurement shown at the end of the run (reported, not asserted)."""
    MEASURED.append(line)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if MEASURED:
        terminalreporter.section("storefront measurements")
        for line in MEASURED:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test-browser` (it installs Debian's chromium)")
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `make test-browser` (it fetches the pinned axe-core with npm)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def shop_url(outputs: dict[str, str]) -> str:  # noqa: F811
    return outputs["StorefrontUrl"]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh phone-width browser context (its own storage: nobody is logged in)."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, locale="ko-KR")
    context.set_default_timeout(UI_TIMEOUT_MS)
    page = context.new_page()
    # No cache: every page load transfers its files, so the resource timings measure the page's real weight
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def open_route(page: Page, shop_url: str, route: str) -> None:
    """A full page load of ``route`` (a new document, so the resource timings are that page's own)."""
    page.goto("about:blank")
    page.goto(f"{shop_url}#{route}")


def own_transfer_bytes(page: Page, shop_url: str) -> int:
    """Bytes of the storefront's own files this document loaded (HTML, scripts, styles, config), from the browser's
    resource timings (the page fixture disables the cache); API calls and product images are other origins and are
    not counted."""
    base = shop_url.rsplit("/", 1)[0] + "/"
    sizes: list[int] = page.evaluate(
        """(base) => performance.getEntriesByType("navigation").concat(performance.getEntriesByType("resource"))
             .filter((e) => e.name.startsWith(base))
             .map((e) => e.transferSize)""",
        base,
    )
    return sum(sizes)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    page.add_script_tag(path=str(AXE_JS))
    results: dict[str, Any] = page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
    return [v for v in results["violations"] if v.get("impact") in {"serious", "critical"}]


def screenshot(page: Page, name: str) -> None:
    """Full-size PNG under .local/screenshots; with ``BUYNEST_README_SCREENSHOTS=1`` (``make screenshots``) also a
    small copy (64 colours) for the README in docs/screenshots, so an ordinary test run leaves the tree as it was."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    png = page.screenshot(full_page=False)
    (SCREENSHOTS / f"{name}.png").write_bytes(png)
    if os.environ.get("BUYNEST_README_SCREENSHOTS") != "1":
        return
    README_SHOTS.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=64).save(README_SHOTS / f"{name}.png", optimize=True)


# A delivery address as the address forms take it, and the label of each of its fields
ADDRESS = {
    "recipient": "김민지",
    "phone": "010-1234-5678",
    "line1": "서울특별시 종로구 세종대로 175",
    "city": "Seoul",
    "postalCode": "03154",
    "country": "KR",
}
LABELS = {
    "recipient": "Recipient's name",
    "phone": "Phone number",
    "line1": "Address line 1",
    "city": "City",
    "postalCode": "Postal code",
    "country": "Country (two-letter code, e.g. KR)",
}


def fill_address(page: Page) -> None:
    """Fill the address form on the page (the account's, or checkout's new address) with ``ADDRESS``."""
    for name, label in LABELS.items():
        page.get_by_label(label, exact=True).fill(ADDRESS[name])


@pytest.fixture
def check_page(page: Page, shop_url: str) -> Callable[[str], None]:
    """``check_page("catalog")``: the page as it is now passes axe-core (no serious/critical violation), its own
    transfer is under 150 KB, and it is photographed."""

    def check(name: str) -> None:
        violations = axe_violations(page)
        assert not violations, f"{name}: " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:3]]}" for v in violations
        )
        size = own_transfer_bytes(page, shop_url)
        assert 0 < size < MAX_PAGE_BYTES, f"{name}: the page's own transfer is {size} bytes"
        report(f"{name}: {size / 1024:.1f} KB own transfer (limit {MAX_PAGE_BYTES // 1024} KB), axe-core clean")
        screenshot(page, name)

    return check


def png_bytes(colour: tuple[int, int, int], size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def upload_image(api: Api, token: str, product_id: str, data: bytes) -> str:  # noqa: F811
    """An image uploaded the way the admin page does it (grant, then the pre-signed POST); returns its id."""
    grant = api.post(
        f"/products/{product_id}/images", token=token, json={"contentType": "image/png", "contentLength": len(data)}
    )
    assert grant.status_code == 201, grant.text
    body = grant.json()
    resp = requests.post(
        body["upload"]["url"], data=body["upload"]["fields"], files={"file": ("p.png", data, "image/png")}, timeout=30
    )
    assert resp.status_code < 300, resp.text
    return str(body["imageId"])


@pytest.fixture
def catalog_product(api: Api, admin: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    """A product in a category of its own, with two READY images (so the product page shows thumbnails)."""
    category = f"test-{int(time.time() * 1000)}"
    resp = api.post(
        "/products",
        token=admin["token"],
        json={"name": "도자기 머그컵 Ceramic mug", "description": "손으로 만든 머그컵.", "price": 45000, "stock": 50,
              "category": category},
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    product = resp.json()
    for colour in [(200, 80, 40), (40, 90, 200)]:
        upload_image(api, admin["token"], product["productId"], png_bytes(colour))

    def ready() -> dict[str, Any] | None:
        current = api.get(f"/products/{product['productId']}").json()
        images = current["images"]
        return current if len(images) == 2 and all(i["status"] == "READY" for i in images) else None

    return dict(wait_for(ready, timeout=60, interval=0.3, what="both images READY"))
