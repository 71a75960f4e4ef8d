"""`make seed`: loads a demo catalog into the local stack through its public API, exactly as an admin's client would.

For each product of the demo catalog (``scripts/seed_data/catalog.json``: 36 products in six ``demo-*``
categories) it creates the product unless one with that name is already in its category, then gives it an image
unless it has one (READY, or PENDING and recent): it asks the API for a pre-signed upload and POSTs a picture drawn
here with Pillow straight to the bucket. Products are handled concurrently; it then waits (with a deadline) for the
processor to check the images, adds a demo coupon, and prints what it created. Then a living shop: three demo
shoppers (``shopper{1,2,3}@example.com``, passwords kept in ``.local/seed-shoppers.json``) with a saved address and
a filled cart, one order each from the cart; an admin ships the second and ships and delivers the third. Re-running
it creates nothing twice (a shopper who has orders already is left as is).

Admin: EMAIL and PASSWORD from the environment, else a seed admin whose password is kept in
``.local/seed-admin.json``; either way it is made an admin by invoking the stack's MakeAdminFunction (as
``make admin`` does). Everything else comes from ``.local/outputs.json``.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
LOCAL = Path(os.environ.get("BUYNEST_LOCAL_DIR", ROOT / ".local"))
CATALOG = Path(__file__).resolve().parent / "seed_data" / "catalog.json"
CONCURRENCY = 8
PROCESSING_DEADLINE_SECONDS = 120
POLL_SECONDS = 1.0
STALE_PENDING_SECONDS = 600
DEMO_COUPON = {
    "code": "WELCOME10",
    "discountType": "PERCENT",
    "value": 10,
    "totalQuantity": 1000,
    "minOrderAmount": 10000,
}
FORMATS = {"image/jpeg": ("JPEG", "jpg"), "image/png": ("PNG", "png"), "image/webp": ("WEBP", "webp")}
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class SeedError(RuntimeError):
    """The stack answered something unexpected; the message says what."""


@dataclass(frozen=True)
class Spec:
    """One demo product, as the catalog file describes it."""

    name: str
    description: str
    price: int
    stock: int
    category: str
    image_type: str


@dataclass
class Outcome:
    spec: Spec
    product_id: str = ""
    created: bool = False
    image_id: str | None = None
    image_status: str = "none"
    notes: list[str] = field(default_factory=list)


def load_catalog(path: Path = CATALOG) -> list[Spec]:
    raw = json.loads(path.read_text())
    types = list(FORMATS)
    specs = []
    for category, products in raw.items():
        if not category.startswith("demo-"):
            raise SeedError(f"seed categories must start with 'demo-' (so the demo can be told apart): {category}")
        for i, p in enumerate(products):
            image_type = p.get("imageType") or types[(len(specs) + i) % len(types)]
            specs.append(Spec(p["name"], p["description"], p["price"], p["stock"], category, image_type))
    return specs


def draw_picture(spec: Spec, size: tuple[int, int] = (800, 600)) -> bytes:
    """A picture for the product: colours and shapes derived from its name (the same every run), its name on it."""
    from PIL import Image, ImageDraw, ImageFont

    seed = hashlib.sha256(spec.name.encode()).digest()
    width, height = size
    base = (seed[0], seed[1], seed[2])
    image = Image.new("RGB", size, base)
    draw = ImageDraw.Draw(image)
    for row in range(height):
        shade = tuple(min(255, c + row * 80 // height) for c in base)
        draw.line([(0, row), (width, row)], fill=shade)
    for i in range(6):
        x, y, r = seed[3 + i] * width // 256, seed[9 + i] * height // 256, 30 + seed[15 + i] % 90
        colour = (seed[20 + i % 10], seed[(21 + i) % 32], seed[(22 + i) % 32])
        if i % 2:
            draw.ellipse([x - r, y - r, x + r, y + r], fill=colour, outline=(255, 255, 255), width=3)
        else:
            draw.rounded_rectangle([x - r, y - r // 2, x + r, y + r // 2], radius=12, fill=colour)
    draw.rectangle([0, height - 110, width, height], fill=(0, 0, 0))
    draw.text((32, height - 96), spec.name, fill=(255, 255, 255), font=ImageFont.load_default(size=44))
    draw.text((32, height - 42), spec.category, fill=(200, 200, 200), font=ImageFont.load_default(size=22))
    fmt = FORMATS[spec.image_type][0]
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 88} if fmt in ("JPEG", "WEBP") else {}))
    return out.getvalue()


def ulid_age_seconds(ulid: str, now: float) -> float:
    """How long ago a ULID was made (its first 10 characters are a millisecond timestamp)."""
    millis = 0
    for char in ulid[:10].upper():
        millis = millis * 32 + CROCKFORD.index(char)
    return now - millis / 1000


def needs_image(product: dict[str, Any], now: float) -> tuple[bool, list[str]]:
    """Whether a product still needs an image, and which of its images are stale PENDING ones (their upload was
    never made, e.g. an earlier run was interrupted) to delete first."""
    stale = []
    for image in product.get("images", []):
        if image["status"] == "READY":
            return False, []
        if image["status"] == "PENDING":
            if ulid_age_seconds(image["imageId"], now) < STALE_PENDING_SECONDS:
                return False, []
            stale.append(image["imageId"])
    return True, stale


class Seeder:
    """The seed run over one async HTTP client; ``api`` is the API base URL."""

    def __init__(self, client: httpx.AsyncClient, api: str, token: str, out: Any = sys.stdout) -> None:
        self.client = client
        self.api = api.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"}
        self.out = out
        self.limit = asyncio.Semaphore(CONCURRENCY)

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def call(self, method: str, path: str, expect: tuple[int, ...], **kw: Any) -> httpx.Response:
        resp = await self.client.request(method, self.api + path, headers=self.headers, **kw)
        if resp.status_code not in expect:
            raise SeedError(f"{method} {path} gave {resp.status_code}: {resp.text[:300]}")
        return resp

    async def existing(self, category: str) -> dict[str, dict[str, Any]]:
        """The category's products by name (the seed marker: a name within a ``demo-*`` category)."""
        found: dict[str, dict[str, Any]] = {}
        cursor = None
        while True:
            params = {"category": category, "limit": "100", **({"cursor": cursor} if cursor else {})}
            page = (await self.call("GET", "/products", (200,), params=params)).json()
            for product in page["items"]:
                found.setdefault(product["name"], product)
            cursor = page["nextCursor"]
            if not cursor:
                return found

    async def upload_image(self, product_id: str, spec: Spec) -> str:
        data = await asyncio.to_thread(draw_picture, spec)
        body = {"contentType": spec.image_type, "contentLength": len(data)}
        ticket = (await self.call("POST", f"/products/{product_id}/images", (201,), json=body)).json()
        upload = ticket["upload"]
        filename = f"{ticket['imageId']}.{FORMATS[spec.image_type][1]}"
        resp = await self.client.post(
            upload["url"], data=upload["fields"], files={"file": (filename, data, spec.image_type)}
        )
        if resp.status_code not in (200, 201, 204):
            raise SeedError(f"upload to {upload['url']} refused ({resp.status_code}): {resp.text[:300]}")
        return str(ticket["imageId"])

    async def ensure(self, spec: Spec, existing: dict[str, dict[str, Any]]) -> Outcome:
        async with self.limit:
            outcome = Outcome(spec)
            product = existing.get(spec.name)
            if product is None:
                body = {k: getattr(spec, k) for k in ("name", "description", "price", "stock", "category")}
                product = (await self.call("POST", "/products", (201,), json=body)).json()
                outcome.created = True
            outcome.product_id = product["productId"]
            wanted, stale = needs_image(product, time.time())
            for image_id in stale:
                await self.call("DELETE", f"/products/{outcome.product_id}/images/{image_id}", (204, 404))
                outcome.notes.append(f"deleted stale pending image {image_id}")
            if wanted:
                outcome.image_id = await self.upload_image(outcome.product_id, spec)
                outcome.image_status = "PENDING"
            else:
                outcome.image_status = next(i["status"] for i in product["images"] if i["status"] != "REJECTED")
            return outcome

    async def wait_for_images(self, outcomes: list[Outcome]) -> None:
        """Poll until every image uploaded or pending is READY or REJECTED, or the deadline passes."""
        waiting = [o for o in outcomes if o.image_status == "PENDING"]
        if not waiting:
            return
        self.say(f"==> waiting for {len(waiting)} images to be processed")
        deadline = time.monotonic() + PROCESSING_DEADLINE_SECONDS
        while waiting and time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
            products = await asyncio.gather(*(self.call("GET", f"/products/{o.product_id}", (200,)) for o in waiting))
            for outcome, resp in zip(waiting, products, strict=True):
                statuses = {i["imageId"]: i["status"] for i in resp.json()["images"]}
                if outcome.image_id in statuses:
                    outcome.image_status = statuses[outcome.image_id]
                elif outcome.image_id is None:
                    outcome.image_status = next((s for s in statuses.values() if s != "PENDING"), "PENDING")
            done = sum(o.image_status != "PENDING" for o in waiting)
            self.say(f"    images processed: {done}/{len(waiting)}")
            waiting = [o for o in waiting if o.image_status == "PENDING"]
        if waiting:
            self.say(f"    {len(waiting)} images still PENDING after {PROCESSING_DEADLINE_SECONDS}s (see `make logs`)")

    async def coupon(self) -> str:
        expires = (datetime.now(UTC) + timedelta(days=365)).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        resp = await self.client.post(
            self.api + "/coupons", headers=self.headers, json={**DEMO_COUPON, "expiresAt": expires}
        )
        if resp.status_code == 201:
            return f"coupon {DEMO_COUPON['code']} created"
        if resp.status_code == 409:
            return f"coupon {DEMO_COUPON['code']} already there"
        return f"coupon {DEMO_COUPON['code']} not created ({resp.status_code}: {resp.text[:120]})"

    async def run(self, specs: list[Spec]) -> list[Outcome]:
        categories = sorted({s.category for s in specs})
        self.say(f"==> seeding {len(specs)} products in {len(categories)} categories ({CONCURRENCY} at a time)")
        found = await asyncio.gather(*(self.existing(c) for c in categories))
        existing = dict(zip(categories, found, strict=True))
        tasks = [asyncio.create_task(self.ensure(s, existing[s.category])) for s in specs]
        outcomes: list[Outcome] = []
        for n, task in enumerate(asyncio.as_completed(tasks), start=1):
            outcome = await task
            outcomes.append(outcome)
            what = "created" if outcome.created else "exists "
            image = "+ image uploaded" if outcome.image_id else f"image {outcome.image_status}"
            self.say(f"[{n:>2}/{len(specs)}] {what} {outcome.spec.category:<16} {outcome.spec.name} ({image})")
        await self.wait_for_images(outcomes)
        self.say(f"==> {await self.coupon()}")
        return outcomes


SHOPPERS = ("shopper1", "shopper2", "shopper3")
SHOP_ADDRESS = {"recipient": "", "phone": "+82 10-1234-5678", "line1": "123 Teheran-ro", "line2": "Apt 501",
                "city": "Seoul", "postalCode": "06234", "country": "KR"}  # fmt: skip
ORDER_DEADLINE_SECONDS = 90


def shopper_passwords() -> dict[str, str]:
    path = LOCAL / "seed-shoppers.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({name: secrets.token_urlsafe(18) for name in SHOPPERS}))
        path.chmod(0o600)
    saved: dict[str, str] = json.loads(path.read_text())
    return saved


async def seed_shop(client: httpx.AsyncClient, api: str, admin_token: str, product_ids: list[str]) -> list[str]:
    """The demo shoppers, their addresses, carts and orders, one shipped and one delivered; what it did."""
    api = api.rstrip("/")
    admin = {"Authorization": f"Bearer {admin_token}"}
    done: list[str] = []
    passwords = shopper_passwords()
    for n, name in enumerate(SHOPPERS):
        email = f"{name}@example.com"
        signup = await client.post(
            api + "/auth/signup", json={"email": email, "password": passwords[name], "name": name.title()}
        )
        if signup.status_code not in (201, 409):
            raise SeedError(f"signup of {email} gave {signup.status_code}: {signup.text[:200]}")
        login = await client.post(api + "/auth/login", json={"email": email, "password": passwords[name]})
        if login.status_code != 200:
            raise SeedError(f"login as {email} failed ({login.status_code}): {login.text[:200]}")
        me = {"Authorization": f"Bearer {login.json()['token']}"}
        if (await client.get(api + "/orders", headers=me)).json()["items"]:
            done.append(f"{email}: has orders already")
            continue
        await client.put(api + "/users/me/address", headers=me, json={**SHOP_ADDRESS, "recipient": name.title()})
        picks = product_ids[n * 3 : n * 3 + 3]
        for quantity, product_id in enumerate(picks, start=1):
            await client.put(api + f"/cart/items/{product_id}", headers=me, json={"quantity": quantity})
        key = {"Idempotency-Key": f"seed-{name}"}
        placed = await client.post(
            api + "/orders", headers=me | key, json={"payment": {"method": "card", "token": "tok_ok"}}
        )
        if placed.status_code != 202:
            raise SeedError(f"the order of {email} gave {placed.status_code}: {placed.text[:200]}")
        order_id = placed.json()["orderId"]
        deadline = time.monotonic() + ORDER_DEADLINE_SECONDS
        status = "PENDING"
        while status not in ("CONFIRMED", "FAILED") and time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
            status = (await client.get(api + f"/orders/{order_id}", headers=me)).json()["status"]
        if status == "CONFIRMED" and n >= 1:
            ship = {"carrier": "CJ Logistics", "trackingNumber": f"CJ{order_id[-10:]}"}
            await client.post(api + f"/admin/orders/{order_id}/ship", headers=admin, json=ship)
            status = "SHIPPED"
        if status == "SHIPPED" and n == 2:
            await client.post(api + f"/admin/orders/{order_id}/deliver", headers=admin)
            status = "DELIVERED"
        # a new cart for the next visit
        await client.put(api + f"/cart/items/{product_ids[-1 - n]}", headers=me, json={"quantity": 1})
        done.append(f"{email}: order {order_id} {status}, an address and a cart")
    return done


def report(outcomes: list[Outcome], out: Any = sys.stdout) -> None:
    order = sorted(outcomes, key=lambda o: (o.spec.category, o.spec.name))
    print(f"\n{'productId':<27} {'category':<16} {'price':>7}  {'image':<9} name", file=out)
    for o in order:
        print(
            f"{o.product_id:<27} {o.spec.category:<16} {o.spec.price:>7}  {o.image_status:<9} {o.spec.name}", file=out
        )
        for note in o.notes:
            print(f"{'':<27} {note}", file=out)
    created = sum(o.created for o in outcomes)
    uploaded = sum(o.image_id is not None for o in outcomes)
    ready = sum(o.image_status == "READY" for o in outcomes)
    print(
        f"\nproducts: {created} created, {len(outcomes) - created} already there; images: {uploaded} uploaded, "
        f"{ready}/{len(outcomes)} READY",
        file=out,
    )


def admin_credentials() -> tuple[str, str]:
    """EMAIL/PASSWORD from the environment, else the seed admin (its password made once and kept under .local)."""
    email, password = os.environ.get("EMAIL", ""), os.environ.get("PASSWORD", "")
    if email and password:
        return email, password
    path = LOCAL / "seed-admin.json"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"email": "seed-admin@example.com", "password": secrets.token_urlsafe(18)}))
        path.chmod(0o600)
    saved = json.loads(path.read_text())
    return saved["email"], saved["password"]


def ensure_admin(outputs: dict[str, str], email: str, password: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # also when imported as scripts.seed
    from make_admin import MakeAdminError, invoke_make_admin

    try:
        invoke_make_admin(outputs, email, password, "Seed admin")
    except MakeAdminError as exc:
        raise SeedError(f"making {email} an admin failed: {exc.body}") from exc


async def seed(api: str, email: str, password: str, specs: list[Spec]) -> list[Outcome]:
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=CONCURRENCY * 2)) as client:
        resp = await client.post(api.rstrip("/") + "/auth/login", json={"email": email, "password": password})
        if resp.status_code != 200:
            raise SeedError(f"login as {email} failed ({resp.status_code}): {resp.text[:200]}")
        token = resp.json()["token"]
        outcomes = await Seeder(client, api, token).run(specs)
        print("==> the shop: shoppers, addresses, carts and orders")
        for line in await seed_shop(client, api, token, [o.product_id for o in outcomes]):
            print(f"    {line}")
        return outcomes


def main() -> None:
    path = LOCAL / "outputs.json"
    if not path.exists():
        sys.exit("no .local/outputs.json: the local stack is not deployed (run `make up` first)")
    outputs = json.loads(path.read_text())
    started = time.monotonic()
    try:
        email, password = admin_credentials()
        ensure_admin(outputs, email, password)
        outcomes = asyncio.run(seed(outputs["ApiUrl"], email, password, load_catalog()))
    except (SeedError, httpx.HTTPError) as exc:
        sys.exit(f"make seed failed: {exc}")
    report(outcomes)
    print(f"done in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    main()
