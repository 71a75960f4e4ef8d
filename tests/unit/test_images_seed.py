"""``make seed`` (scripts/seed.py) against the real API handlers and the upload processor, over an in-memory HTTP
transport: the whole catalog gets images, and a second run creates nothing."""

from __future__ import annotations

import asyncio
import email.parser
import io
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from buynest.core.auth import TokenService
from buynest.images.domain import PENDING, ImageRecord
from buynest.images.imaging import PillowInspector
from buynest.images.runtime import set_image_service
from buynest.images.service import ImageProcessor, ImageService
from buynest.products.runtime import set_product_service
from buynest.products.service import ProductService
from scripts import seed
from tests.conftest import FakeContext, api_event, load_handler
from tests.unit.fakes import (
    FakeImageLinks,
    FakeImageRepository,
    FakeObjectStorage,
    FakeProductRepository,
    RecordingPublisher,
)

API = "http://api.test/v1"
ROUTES = {
    ("GET", "/products"): ("products/list_products", "/products"),
    ("POST", "/products"): ("products/create_product", "/products"),
    ("GET", "/products/{productId}"): ("products/get_product", "/products/{productId}"),
    ("POST", "/products/{productId}/images"): ("images/request_upload", "/products/{productId}/images"),
    ("DELETE", "/products/{productId}/images/{imageId}"): (
        "images/delete_image",
        "/products/{productId}/images/{imageId}",
    ),
}
HANDLERS = {route: load_handler(module) for route, (module, _) in ROUTES.items()}


def multipart_fields(request: httpx.Request) -> dict[str, Any]:
    message = email.parser.BytesParser().parsebytes(
        b"Content-Type: " + request.headers["content-type"].encode() + b"\r\n\r\n" + request.content
    )
    return {part.get_param("name", header="content-disposition"): part for part in message.get_payload()}  # type: ignore[union-attr]


class FakeStack:
    """The API (its real handlers, on fakes) and the bucket (a pre-signed POST lands and is processed at once)."""

    def __init__(self, admin_token: str, products: FakeProductRepository) -> None:
        self.admin_token = admin_token
        self.products = products
        self.images = FakeImageRepository(products)
        self.storage = FakeObjectStorage()
        self.processor = ImageProcessor(self.images, self.storage, PillowInspector(), RecordingPublisher())
        self.coupons: set[str] = set()
        self.requests: list[tuple[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        if str(request.url) == FakeObjectStorage.URL:
            return self.upload(request)
        path = request.url.path.removeprefix("/v1")
        if path == "/auth/login":
            return httpx.Response(200, json={"token": self.admin_token, "expiresIn": 3600})
        if path == "/coupons":
            code = json.loads(request.content)["code"]
            status = 409 if code in self.coupons else 201
            self.coupons.add(code)
            return httpx.Response(status, json={})
        parts = path.strip("/").split("/")
        names = ["", "productId", "", "imageId"]
        params = {names[i]: v for i, v in enumerate(parts) if names[i]}
        resource = "/" + "/".join("{" + names[i] + "}" if names[i] else p for i, p in enumerate(parts))
        handler = HANDLERS[(request.method, resource)]
        event = api_event(
            request.method,
            path,
            resource,
            body=request.content.decode() or None,
            query=dict(parse_qsl(request.url.query.decode())) or None,
            path_params=params or None,
            token=request.headers.get("authorization", "").removeprefix("Bearer "),
        )
        resp = handler.handler(event, FakeContext())
        return httpx.Response(resp["statusCode"], content=resp.get("body") or b"")

    def upload(self, request: httpx.Request) -> httpx.Response:
        fields = multipart_fields(request)
        key = fields["key"].get_payload()
        content_type = fields["Content-Type"].get_payload()
        data = fields["file"].get_payload(decode=True)
        self.storage.upload(key, data, content_type)
        self.processor.process(key)
        return httpx.Response(204)


@pytest.fixture
def stack(
    product_repo: FakeProductRepository, tokens: TokenService, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeStack]:
    fake = FakeStack(tokens.issue("01SEEDADMIN", "admin"), product_repo)
    set_product_service(ProductService(product_repo, FakeImageLinks()))
    set_image_service(ImageService(fake.images, fake.storage))
    monkeypatch.setattr(seed, "POLL_SECONDS", 0.0)
    yield fake
    set_product_service(None)
    set_image_service(None)


def run_seed(stack: FakeStack, specs: list[seed.Spec]) -> tuple[list[seed.Outcome], str]:
    out = io.StringIO()

    async def go() -> list[seed.Outcome]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(stack)) as client:
            return await seed.Seeder(client, API, stack.admin_token, out=out).run(specs)

    outcomes = asyncio.run(go())
    seed.report(outcomes, out=out)
    return outcomes, out.getvalue()


def test_the_catalog_is_large_and_varied() -> None:
    specs = seed.load_catalog()
    assert len(specs) >= 30 and len({s.category for s in specs}) >= 5
    assert all(s.category.startswith("demo-") for s in specs)
    assert len({(s.category, s.name) for s in specs}) == len(specs)
    assert {s.image_type for s in specs} == {"image/jpeg", "image/png", "image/webp"}


def test_seed_creates_every_product_with_a_ready_image_and_a_rerun_creates_nothing(stack: FakeStack) -> None:
    specs = seed.load_catalog()

    outcomes, printed = run_seed(stack, specs)

    assert len(stack.products.products) == len(specs)
    assert all(o.created and o.image_status == "READY" for o in outcomes)
    assert all(len(p.images) == 1 and p.images[0].status == "READY" for p in stack.products.products.values())
    assert f"[{len(specs)}/{len(specs)}]" in printed and "coupon WELCOME10 created" in printed
    assert f"products: {len(specs)} created, 0 already there; images: {len(specs)} uploaded" in printed
    objects = set(stack.storage.objects)

    again, printed = run_seed(stack, specs)

    assert len(stack.products.products) == len(specs) and set(stack.storage.objects) == objects
    assert not any(o.created or o.image_id for o in again)
    assert f"products: 0 created, {len(specs)} already there; images: 0 uploaded" in printed
    assert "coupon WELCOME10 already there" in printed


def test_seed_replaces_an_abandoned_pending_image_and_retries_a_rejected_one(stack: FakeStack) -> None:
    specs = seed.load_catalog()[:2]
    run_seed(stack, specs)
    abandoned, rejected = (stack.products.products[o] for o in sorted(stack.products.products))
    for product in (abandoned, rejected):
        stack.images.remove(product.product_id, product.images[0].image_id)
    old = ImageRecord(
        "01ARZ3NDEKTSV4RRFFQ69G5FAV", PENDING, "image/png", 10, "2016-07-30T23:54:10Z", "2016-07-30T23:54:10Z"
    )
    stack.images.add(abandoned.product_id, old, 10)
    stack.images.add(rejected.product_id, ImageRecord("01REJ", "REJECTED", "image/png", 10, "", ""), 10)

    outcomes, printed = run_seed(stack, specs)

    assert all(o.image_id and o.image_status == "READY" for o in outcomes)
    assert "deleted stale pending image 01ARZ3NDEKTSV4RRFFQ69G5FAV" in printed
    assert stack.images.get(abandoned.product_id, old.image_id) is None


def test_pictures_are_real_images_of_the_declared_type() -> None:
    for spec in seed.load_catalog()[:3]:
        result = PillowInspector().inspect(seed.draw_picture(spec), spec.image_type)
        assert result.__class__.__name__ == "Accepted", result
