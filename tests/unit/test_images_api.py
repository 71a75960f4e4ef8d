"""The images API handlers (request an upload, delete an image) and the product view of images, with fakes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from buynest.images.domain import MAX_IMAGE_BYTES, PENDING_GRACE_SECONDS, READY, UPLOAD_TTL_SECONDS, ImageRecord
from buynest.images.runtime import set_image_service
from buynest.images.service import ImageService
from buynest.products.runtime import set_product_service
from buynest.products.service import ProductService
from tests.conftest import api_event, call, load_handler
from tests.unit.fakes import FakeImageLinks, FakeImageRepository, FakeObjectStorage, FakeProductRepository

request_upload = load_handler("images/request_upload")
delete_image = load_handler("images/delete_image")
get_product = load_handler("products/get_product")
list_products = load_handler("products/list_products")

PNG = {"contentType": "image/png", "contentLength": 20_000}


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Images:
    repo: FakeImageRepository
    storage: FakeObjectStorage
    service: ImageService
    clock: Clock


@pytest.fixture
def images(product_repo: FakeProductRepository, products: ProductService) -> Iterator[Images]:
    repo, storage = FakeImageRepository(product_repo), FakeObjectStorage()
    clock = Clock(datetime(2026, 12, 4, 3, 0, tzinfo=UTC))
    service = ImageService(repo, storage, max_images=3, clock=clock)
    set_image_service(service)
    set_product_service(ProductService(product_repo, FakeImageLinks()))
    yield Images(repo, storage, service, clock)
    set_image_service(None)


def post_image(product_id: str, body: Any, token: str | None) -> tuple[int, Any]:
    event = api_event(
        "POST",
        f"/products/{product_id}/images",
        "/products/{productId}/images",
        body=body,
        path_params={"productId": product_id},
        token=token,
    )
    return call(request_upload, event)


def delete(product_id: str, image_id: str, token: str | None) -> tuple[int, Any]:
    event = api_event(
        "DELETE",
        f"/products/{product_id}/images/{image_id}",
        "/products/{productId}/images/{imageId}",
        path_params={"productId": product_id, "imageId": image_id},
        token=token,
    )
    return call(delete_image, event)


def product_view(product_id: str) -> dict[str, Any]:
    event = api_event("GET", f"/products/{product_id}", "/products/{productId}", path_params={"productId": product_id})
    status, body = call(get_product, event)
    assert status == 200
    return dict(body)


def test_admin_gets_a_presigned_upload_and_the_product_shows_the_image_pending(
    images: Images, make_product: Any, admin_token: str
) -> None:
    pid = make_product().product_id
    status, body = post_image(pid, PNG, admin_token)
    assert status == 201
    assert set(body) == {"imageId", "upload", "expiresIn"} and body["expiresIn"] == 300
    assert set(body["upload"]) == {"url", "fields"}
    assert images.storage.presigned == [
        {"key": f"originals/{pid}/{body['imageId']}", "contentType": "image/png", "max": 20_000, "expiresIn": 300}
    ]
    assert product_view(pid)["images"] == [
        {
            "imageId": body["imageId"],
            "status": "PENDING",
            "url": None,
            "thumbnailUrl": None,
            "width": None,
            "height": None,
        }
    ]


def test_ready_images_show_links_in_id_order_in_get_and_list(
    images: Images, make_product: Any, admin_token: str
) -> None:
    pid = make_product(category="tea").product_id
    ids = [post_image(pid, PNG, admin_token)[1]["imageId"] for _ in range(2)]
    first = images.repo.get(pid, ids[0])
    assert isinstance(first, ImageRecord)
    ready_record = replace(first, status=READY, width=800, height=600, key="images/k", thumbnail_key="thumbnails/k")
    assert images.repo.finish(pid, ready_record)
    shown = product_view(pid)["images"]
    assert [i["imageId"] for i in shown] == sorted(ids)
    ready = next(i for i in shown if i["imageId"] == ids[0])
    assert ready == {
        "imageId": ids[0],
        "status": "READY",
        "url": "https://images.example/images/k?signed",
        "thumbnailUrl": "https://images.example/thumbnails/k?signed",
        "width": 800,
        "height": 600,
    }
    status, body = call(list_products, api_event("GET", "/products", query={"category": "tea"}))
    assert status == 200 and body["items"][0]["images"] == shown


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"contentType": "image/gif", "contentLength": 10}, "UNSUPPORTED_MEDIA_TYPE", "contentType"),
        ({"contentType": "text/html", "contentLength": 10}, "UNSUPPORTED_MEDIA_TYPE", "contentType"),
        ({"contentType": "image/png", "contentLength": MAX_IMAGE_BYTES + 1}, "TOO_LARGE", "contentLength"),
        ({"contentType": "image/png", "contentLength": 10**30}, "TOO_LARGE", "contentLength"),
        ({"contentType": "image/png", "contentLength": 0}, "VALIDATION_ERROR", "contentLength"),
        ({"contentType": "image/png", "contentLength": "100"}, "VALIDATION_ERROR", "contentLength"),
        ({"contentType": "image/png", "contentLength": 1.5}, "VALIDATION_ERROR", "contentLength"),
        ({"contentType": "image/png", "contentLength": True}, "VALIDATION_ERROR", "contentLength"),
        ({"contentType": 7, "contentLength": 100}, "VALIDATION_ERROR", "contentType"),
        ({"contentType": "x" * 101, "contentLength": 100}, "VALIDATION_ERROR", "contentType"),
        ({"contentLength": 100}, "VALIDATION_ERROR", "contentType"),
        ({**PNG, "fileName": "a.png"}, "VALIDATION_ERROR", "fileName"),
    ],
)
def test_bad_declarations_are_refused_naming_the_field(
    images: Images, make_product: Any, admin_token: str, body: dict[str, Any], code: str, field: str
) -> None:
    pid = make_product().product_id
    status, resp = post_image(pid, body, admin_token)
    assert status == 400 and resp["error"]["code"] == code
    assert resp["error"]["message"].startswith(field)
    assert product_view(pid)["images"] == [] and images.storage.presigned == []


@pytest.mark.parametrize("raw", ["", "not json", "[]", '{"contentType": "image/png", "contentLength": 1'])
def test_malformed_bodies_are_validation_errors(images: Images, make_product: Any, admin_token: str, raw: str) -> None:
    status, resp = post_image(make_product().product_id, raw, admin_token)
    assert status == 400 and resp["error"]["code"] == "VALIDATION_ERROR"


def test_only_admins_get_upload_urls(images: Images, make_product: Any, customer_token: str) -> None:
    pid = make_product().product_id
    assert post_image(pid, PNG, customer_token)[0] == 403
    assert post_image(pid, PNG, None)[0] == 401
    assert images.storage.presigned == []


def test_unknown_product_is_404(images: Images, admin_token: str) -> None:
    status, body = post_image("01NOSUCHPRODUCT", PNG, admin_token)
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"
    assert post_image("bad id!", PNG, admin_token)[0] == 404


def test_a_product_holds_at_most_the_cap(images: Images, make_product: Any, admin_token: str) -> None:
    pid = make_product().product_id
    for _ in range(3):
        assert post_image(pid, PNG, admin_token)[0] == 201
    status, body = post_image(pid, PNG, admin_token)
    assert status == 409 and body["error"]["code"] == "TOO_MANY_IMAGES"
    image_id = product_view(pid)["images"][0]["imageId"]
    assert delete(pid, image_id, admin_token)[0] == 204
    assert post_image(pid, PNG, admin_token)[0] == 201


ABANDONED_AFTER = UPLOAD_TTL_SECONDS + PENDING_GRACE_SECONDS


def test_an_abandoned_upload_stops_counting_towards_the_cap(
    images: Images, make_product: Any, admin_token: str
) -> None:
    """Guards: PENDING images whose upload never came (the admin closed the tab) filled the cap forever, and the
    product could never get another image without deleting them one by one."""
    pid = make_product().product_id
    for _ in range(3):
        assert post_image(pid, PNG, admin_token)[0] == 201

    images.clock.advance(ABANDONED_AFTER)  # the POSTs expired, but an upload posted just in time may still be
    status, body = post_image(pid, PNG, admin_token)  # on its way to the processor
    assert status == 409 and body["error"]["code"] == "TOO_MANY_IMAGES"

    images.clock.advance(1)
    status, body = post_image(pid, PNG, admin_token)
    assert status == 201
    assert [i["imageId"] for i in product_view(pid)["images"]] == [body["imageId"]]


def test_an_abandoned_upload_is_removed_with_its_objects_and_nothing_else_is(
    images: Images, make_product: Any, admin_token: str
) -> None:
    """Guards: expiring pending uploads must take only those: a READY image never expires, nor does a fresh
    PENDING one; an object the late upload left behind goes with its record."""
    pid = make_product().product_id
    ready = post_image(pid, PNG, admin_token)[1]["imageId"]
    images.repo.finish(pid, replace(images.repo.get(pid, ready), status=READY))  # type: ignore[arg-type]
    stale = post_image(pid, PNG, admin_token)[1]["imageId"]
    images.storage.upload(f"originals/{pid}/{stale}", b"late", "image/png")
    images.clock.advance(ABANDONED_AFTER - 60)
    fresh = post_image(pid, PNG, admin_token)[1]["imageId"]
    images.clock.advance(61)

    assert images.service.discard_abandoned(pid) == 1

    assert sorted(i["imageId"] for i in product_view(pid)["images"]) == sorted([ready, fresh])
    assert f"originals/{pid}/{stale}" not in images.storage.objects
    assert images.service.discard_abandoned(pid) == 0


def test_delete_removes_the_image_and_its_objects(
    images: Images, make_product: Any, admin_token: str, customer_token: str
) -> None:
    pid = make_product().product_id
    keep = post_image(pid, PNG, admin_token)[1]["imageId"]
    image_id = post_image(pid, PNG, admin_token)[1]["imageId"]
    for key in (f"originals/{pid}/{image_id}", f"images/{pid}/{image_id}", f"thumbnails/{pid}/{image_id}"):
        images.storage.put(key, b"x", "image/png")
    images.storage.put(f"images/{pid}/{keep}", b"x", "image/png")
    assert delete(pid, image_id, customer_token)[0] == 403
    assert delete(pid, image_id, None)[0] == 401
    assert delete(pid, image_id, admin_token) == (204, None)
    assert [i["imageId"] for i in product_view(pid)["images"]] == [keep]
    assert set(images.storage.objects) == {f"images/{pid}/{keep}"}
    status, body = delete(pid, image_id, admin_token)
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"
    assert delete("01NOPRODUCT", keep, admin_token)[0] == 404
