"""`make load`: a locust profile of Buynest's API on the local stack (a browsing and ordering mix).

  Browser   anonymous: GET /products?category= with cursor pagination, GET /products (all), GET /products/{id}
  Customer  signs up and logs in once, then browses, orders (POST /orders with an Idempotency-Key and `tok_ok`,
            now and then the same request again as a double click would), polls GET /orders/{id} until the order
            is final (bounded: LOAD_ORDER_WAIT seconds) and lists GET /orders

Set-up (the `test_start` hook): an admin made the way `make admin` makes one (the stack's MakeAdminFunction), and
the profile's own catalog: products named "Locust load-test item N" in the categories `loadtest-kitchen` and
`loadtest-garden`, stock 100000, reused (and topped up) by later runs, so the profile never needs `make seed`.

Only loopback targets are accepted (127.0.0.0/8, localhost, ::1). A request passes when its status is the one the
contract gives for success, or one of the few 4xx the contract makes legitimate for that request; every 5xx is a
failure. Besides locust's CSV/JSON, the run writes ``$LOAD_OUT/summary.json`` (statuses and failures per request
group, examples of 5xx, order outcomes and their POST -> final latencies) for load/report.py.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from locust import FastHttpUser, between, events, task
from locust.env import Environment

ROOT = Path(__file__).resolve().parent.parent
LOCAL = Path(os.environ.get("BUYNEST_LOCAL_DIR", ROOT / ".local"))
OUT = Path(os.environ.get("LOAD_OUT", LOCAL / "load"))
ORDER_WAIT = float(os.environ.get("LOAD_ORDER_WAIT", "45"))  # seconds a customer polls one order, at most
POLL_EVERY = 1.0
REPEAT_SHARE = 0.1  # orders whose POST is sent twice with the same key (a double click)

CATEGORIES = ("loadtest-kitchen", "loadtest-garden")
PER_CATEGORY = 4
PRODUCT_PREFIX = "Locust load-test item"
STOCK = 100_000
FINAL = {"CONFIRMED", "FAILED", "CANCELLED"}

log = logging.getLogger("buynest.load")


class Shared:
    """What the set-up learns and what the users record, written to summary.json when locust quits."""

    def __init__(self) -> None:
        self.catalog: list[dict[str, Any]] = []
        self.setup: dict[str, Any] = {}
        self.statuses: dict[str, Counter[str]] = defaultdict(Counter)
        self.failures: dict[str, Counter[str]] = defaultdict(Counter)
        self.server_errors: list[dict[str, Any]] = []
        self.orders: Counter[str] = Counter()
        self.failure_reasons: Counter[str] = Counter()
        self.confirmed_seconds: list[float] = []

    def write(self) -> None:
        OUT.mkdir(parents=True, exist_ok=True)
        summary = {
            "setup": self.setup,
            "statuses": {name: dict(sorted(c.items())) for name, c in sorted(self.statuses.items())},
            "failures": {name: dict(c.most_common()) for name, c in sorted(self.failures.items())},
            "serverErrors": self.server_errors,
            "orders": {**dict(self.orders), "failureReasons": dict(self.failure_reasons)},
            "confirmedSeconds": [round(s, 3) for s in self.confirmed_seconds],
            "orderWaitSeconds": ORDER_WAIT,
        }
        (OUT / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")


SHARED = Shared()


# ---------------------------------------------------------------- hooks


def check_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"load: refusing to send load to {url!r}: only loopback addresses (127.0.0.0/8, ::1)")


def outputs() -> dict[str, str]:
    """The local stack's outputs (`make up` writes them): ApiUrl, Endpoint, Region, MakeAdminFunctionName..."""
    return dict(json.loads((LOCAL / "outputs.json").read_text()))


@events.init.add_listener
def on_init(environment: Environment, **_: Any) -> None:
    """Without --host the target is the local stack's ApiUrl; any target must be a loopback address."""
    if not environment.host and (LOCAL / "outputs.json").exists():
        environment.host = outputs()["ApiUrl"]
    check_loopback(environment.host or "")


def label(method: str, name: str) -> str:
    """A request group's label: its name, which here starts with the method already."""
    return name if name.startswith(f"{method} ") else f"{method} {name}"


@events.request.add_listener
def on_request(
    request_type: str, name: str, response: Any = None, exception: Any = None, url: str = "", **_: Any
) -> None:
    status = getattr(response, "status_code", None)
    key = label(request_type, name)
    SHARED.statuses[key][str(status if status is not None else "none")] += 1
    if exception is not None:
        SHARED.failures[key][str(exception)[:200]] += 1
    if status is not None and (status == 0 or status >= 500):  # every one in the log, the first 20 in the summary
        text = (getattr(response, "text", None) if status else None) or repr(exception)
        log.warning("load: %s %s gave %s: %s", key, url, status, text[:300])
        if len(SHARED.server_errors) < 20:
            parts = urlsplit(url)
            SHARED.server_errors.append(
                {
                    "at": time.strftime("%H:%M:%S"),
                    "request": key,
                    "url": parts.path + (f"?{parts.query}" if parts.query else ""),
                    "status": status,
                    "body": text[:300],
                }
            )


@events.test_start.add_listener
def on_test_start(environment: Environment, **_: Any) -> None:
    """The admin and the profile's own products (created once, reused and topped up by later runs)."""
    t0 = time.perf_counter()
    try:
        stack = outputs()
        check_loopback(stack["Endpoint"])
        base = str(environment.host).rstrip("/")
        http = requests.Session()
        admin = admin_token(stack, http, base)
        catalog, created = ensure_catalog(http, base, admin)
    except Exception:
        log.exception("load: set-up failed; stopping")
        environment.process_exit_code = 3
        if environment.runner is not None:
            import gevent

            gevent.spawn(environment.runner.quit)
        return
    SHARED.catalog = catalog
    SHARED.setup = {
        "seconds": round(time.perf_counter() - t0, 1),
        "products": len(catalog),
        "created": created,
        "categories": list(CATEGORIES),
    }
    log.info("load: set-up in %.1f s: %d products (%d created)", SHARED.setup["seconds"], len(catalog), created)


@events.quitting.add_listener
def on_quitting(environment: Environment, **_: Any) -> None:
    SHARED.write()


def admin_token(outputs: dict[str, str], http: requests.Session, base: str) -> str:
    email, password = f"load-admin-{uuid.uuid4().hex[:8]}@example.com", "load-admin-1"
    sys.path.insert(0, str(ROOT / "scripts"))
    from make_admin import invoke_make_admin

    invoke_make_admin(outputs, email, password, "Load admin")
    login = http.post(f"{base}/auth/login", json={"email": email, "password": password}, timeout=60)
    login.raise_for_status()
    return str(login.json()["token"])


def ensure_catalog(http: requests.Session, base: str, token: str) -> tuple[list[dict[str, Any]], int]:
    auth = {"Authorization": f"Bearer {token}"}
    catalog: list[dict[str, Any]] = []
    created = 0
    for category in CATEGORIES:
        mine: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = {"category": category, "limit": 100, **({"cursor": cursor} if cursor else {})}
            page = http.get(f"{base}/products?{urlencode(query)}", timeout=60)
            page.raise_for_status()
            body = page.json()
            mine += [p for p in body["items"] if str(p["name"]).startswith(PRODUCT_PREFIX)]
            cursor = body.get("nextCursor")
            if not cursor:
                break
        for product in mine[:PER_CATEGORY]:
            if int(product["stock"]) < STOCK // 2:
                patch = http.patch(
                    f"{base}/products/{product['productId']}", json={"stock": STOCK}, headers=auth, timeout=60
                )
                patch.raise_for_status()
        for n in range(len(mine), PER_CATEGORY):
            body = {
                "name": f"{PRODUCT_PREFIX} {category.removeprefix('loadtest-')} {n + 1}",
                "description": "Made by `make load` (load/locustfile.py) for its own traffic; reused by later runs.",
                "price": 1000 * random.randint(5, 30),  # noqa: S311 - not a secret
                "stock": STOCK,
                "category": category,
            }
            resp = http.post(f"{base}/products", json=body, headers=auth, timeout=60)
            resp.raise_for_status()
            mine.append(resp.json())
            created += 1
        catalog += [{"productId": p["productId"], "category": category} for p in mine[:PER_CATEGORY]]
    return catalog, created


# ---------------------------------------------------------------- users


def error_code(resp: Any) -> str:
    try:
        return str(resp.json()["error"]["code"])
    except Exception:
        return (getattr(resp, "text", "") or "")[:60]


class Shopper(FastHttpUser):
    """What browsers and customers share: calls checked against the contract's statuses."""

    abstract = True
    wait_time = between(1, 3)
    network_timeout = 60.0
    connection_timeout = 10.0

    def call(
        self,
        method: str,
        path: str,
        name: str,
        expect: int,
        legit: frozenset[int] = frozenset(),
        token: str | None = None,
        **kw: Any,
    ) -> Any:
        """One request; passes on ``expect`` (with a JSON body) or a status in ``legit``. Returns the response."""
        headers = dict(kw.pop("headers", {}) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        with self.client.request(method, path, name=name, headers=headers, catch_response=True, **kw) as resp:
            status = resp.status_code
            if status == expect:
                try:
                    resp.json()
                except Exception:
                    resp.failure(f"HTTP {status} without a JSON body")
                else:
                    resp.success()
            elif status in legit:
                resp.success()
            elif status == 0:
                resp.failure(f"no response: {type(resp.error).__name__}")
            else:
                resp.failure(f"HTTP {status} {error_code(resp)}")
        return resp

    def product(self) -> dict[str, Any]:
        return random.choice(SHARED.catalog)  # noqa: S311 - not a secret

    def browse_category(self) -> list[str]:
        """A category's first page, then maybe the next pages (cursor), as a person scrolling; returns the ids seen."""
        category = random.choice(CATEGORIES)  # noqa: S311
        query: dict[str, Any] = {"category": category, "limit": 3}
        seen: list[str] = []
        resp = self.call("GET", f"/products?{urlencode(query)}", "GET /products?category=", 200)
        for _ in range(3):
            if resp.status_code != 200:
                break
            body = resp.json()
            seen += [str(p["productId"]) for p in body.get("items", [])]
            cursor = body.get("nextCursor")
            if not cursor or random.random() < 0.4:  # noqa: S311
                break
            query["cursor"] = cursor
            resp = self.call("GET", f"/products?{urlencode(query)}", "GET /products?category=&cursor=", 200)
        return seen

    def view(self, product_id: str) -> None:
        self.call("GET", f"/products/{product_id}", "GET /products/{id}", 200)


class Browser(Shopper):
    """An anonymous visitor: category pages, the whole catalog's first page, product pages."""

    weight = 3

    @task(4)
    def browse(self) -> None:
        seen = self.browse_category()
        for product_id in random.sample(seen, min(len(seen), random.randint(1, 2))):  # noqa: S311
            self.view(product_id)

    @task(1)
    def catalog(self) -> None:
        self.call("GET", "/products?limit=20", "GET /products", 200)

    @task(2)
    def product_page(self) -> None:
        self.view(self.product()["productId"])


class Customer(Shopper):
    """Signs up and logs in once, then browses, orders and follows its orders."""

    weight = 1

    def on_start(self) -> None:
        self.token: str | None = None
        self.sign_in()

    def sign_in(self) -> None:
        email, password = f"load-{uuid.uuid4().hex[:12]}@example.com", "load-password-1"
        body = {"email": email, "password": password, "name": "Load shopper"}
        if self.call("POST", "/auth/signup", "POST /auth/signup", 201, json=body).status_code != 201:
            return
        login = self.call("POST", "/auth/login", "POST /auth/login", 200, json={"email": email, "password": password})
        if login.status_code == 200:
            self.token = str(login.json()["token"])

    @task(2)
    def browse(self) -> None:
        seen = self.browse_category()
        if seen:
            self.view(random.choice(seen))  # noqa: S311

    @task(2)
    def shop(self) -> None:
        """Browse, order one product, follow the order until it is final, then look at the order list."""
        if self.token is None:
            self.sign_in()
            return
        seen = self.browse_category()
        product_id = random.choice(seen) if seen else self.product()["productId"]  # noqa: S311
        self.view(product_id)
        body = {
            "items": [{"productId": product_id, "quantity": random.randint(1, 2)}],  # noqa: S311
            "payment": {"method": "card", "token": "tok_ok"},
        }
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        t0 = time.perf_counter()
        resp = self.call("POST", "/orders", "POST /orders", 202, token=self.token, json=body, headers=headers)
        if resp.status_code != 202:
            return
        order_id = str(resp.json()["orderId"])
        SHARED.orders["placed"] += 1
        if random.random() < REPEAT_SHARE:  # noqa: S311
            # The same key and body again: the same response, or 409 IDEMPOTENCY_IN_PROGRESS while the first is
            # still being handled (both the contract's); never a second order.
            again = self.call(
                "POST", "/orders", "POST /orders (same key again)", 202, frozenset({409}),
                token=self.token, json=body, headers=headers,
            )  # fmt: skip
            if again.status_code == 202 and again.json().get("orderId") != order_id:
                SHARED.orders["repeatMadeAnotherOrder"] += 1
                log.error("load: a repeated Idempotency-Key made another order: %s vs %s", order_id, again.text)
        self.follow(order_id, t0)
        self.call("GET", "/orders", "GET /orders", 200, token=self.token)

    def follow(self, order_id: str, t0: float) -> None:
        deadline = time.monotonic() + ORDER_WAIT
        while time.monotonic() < deadline:
            time.sleep(POLL_EVERY)
            resp = self.call("GET", f"/orders/{order_id}", "GET /orders/{id}", 200, token=self.token)
            if resp.status_code != 200:
                continue
            order = resp.json()
            status = order.get("status")
            if status in FINAL:
                SHARED.orders[str(status).lower()] += 1
                if status == "CONFIRMED":
                    SHARED.confirmed_seconds.append(time.perf_counter() - t0)
                elif status == "FAILED":
                    SHARED.failure_reasons[str(order.get("failureReason"))] += 1
                return
        SHARED.orders["notFinal"] += 1
        log.warning("load: order %s not final after %.0f s", order_id, ORDER_WAIT)

    @task(1)
    def my_orders(self) -> None:
        if self.token is None:
            self.sign_in()
            return
        self.call("GET", "/orders", "GET /orders", 200, token=self.token)
