"""Product images over HTTP and S3: pre-signed uploads that S3 itself polices, then asynchronous checking."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from PIL import Image

from tests.e2e.conftest import Api, aws_client, wait_for
from tests.unit.image_samples import SECRETS, tagged_upload


def picture(fmt: str, size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def product(api: Api, admin: dict[str, Any]) -> dict[str, Any]:
    body = {
        "name": "Celadon bowl",
        "description": "",
        "price": 45000,
        "stock": 3,
        "category": f"img-{uuid.uuid4().hex[:8]}",
    }
    resp = api.post("/products", json=body, token=admin["token"])
    assert resp.status_code == 201
    return resp.json()


def ticket(api: Api, admin: dict[str, Any], product_id: str, content_type: str, length: int) -> dict[str, Any]:
    resp = api.post(
        f"/products/{product_id}/images",
        json={"contentType": content_type, "contentLength": length},
        token=admin["token"],
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def upload(upload: dict[str, Any], data: bytes, **field_overrides: str) -> requests.Response:
    fields = {**upload["fields"], **field_overrides}
    return requests.post(upload["url"], data=fields, files={"file": ("upload", data)}, timeout=30)


def image_of(api: Api, product_id: str, image_id: str) -> dict[str, Any]:
    images = api.get(f"/products/{product_id}").json()["images"]
    return next(i for i in images if i["imageId"] == image_id)


def settled(api: Api, product_id: str, image_id: str) -> dict[str, Any]:
    return wait_for(
        lambda: (img := image_of(api, product_id, image_id))["status"] != "PENDING" and img,
        timeout=30,
        what=f"image {image_id} processed",
    )


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_a_real_image_becomes_ready_with_a_thumbnail(
    api: Api, admin: dict[str, Any], product: dict[str, Any], fmt: str, content_type: str
) -> None:
    data = picture(fmt, (1000, 500))
    t = ticket(api, admin, product["productId"], content_type, len(data))
    assert t["expiresIn"] > 0 and image_of(api, product["productId"], t["imageId"])["status"] == "PENDING"
    assert upload(t["upload"], data).status_code in (200, 201, 204)

    image = settled(api, product["productId"], t["imageId"])
    assert (image["status"], image["width"], image["height"]) == ("READY", 1000, 500)
    thumb = Image.open(io.BytesIO(requests.get(image["thumbnailUrl"], timeout=10).content))
    assert max(thumb.size) == 320 and thumb.size == (320, 160)
    original = requests.get(image["url"], timeout=10)
    assert original.status_code == 200 and Image.open(io.BytesIO(original.content)).size == (1000, 500)


def test_the_served_original_of_a_phone_photo_has_no_gps_exif_xmp_or_trailer(
    api: Api, admin: dict[str, Any], product: dict[str, Any]
) -> None:
    """Guards: what a browser downloads from ``url`` was the upload byte for byte, GPS position included."""
    data = tagged_upload("image/jpeg")
    t = ticket(api, admin, product["productId"], "image/jpeg", len(data))
    assert upload(t["upload"], data).status_code in (200, 201, 204)

    image = settled(api, product["productId"], t["imageId"])

    assert image["status"] == "READY"
    served = requests.get(image["url"], timeout=10).content
    assert [s for s in SECRETS if s in served] == [] and served.endswith(b"\xff\xd9")
    with Image.open(io.BytesIO(served)) as original:
        assert dict(original.getexif()) == {} and "xmp" not in original.info and original.size == (600, 400)


def test_s3_refuses_what_the_policy_does_not_allow(api: Api, admin: dict[str, Any], product: dict[str, Any]) -> None:
    data = picture("PNG")
    t = ticket(api, admin, product["productId"], "image/png", len(data))
    too_big = upload(t["upload"], data + os.urandom(len(data)))
    assert too_big.status_code in (400, 403) and "EntityTooLarge" in too_big.text
    wrong_type = upload(t["upload"], data, **{"Content-Type": "image/jpeg"})
    assert wrong_type.status_code in (400, 403)
    wrong_key = upload(t["upload"], data, key=f"originals/{product['productId']}/someone-else")
    assert wrong_key.status_code in (400, 403)
    tampered = upload(t["upload"], data, policy=t["upload"]["fields"]["policy"][:-4] + "AAAA")
    assert tampered.status_code in (400, 403)
    assert image_of(api, product["productId"], t["imageId"])["status"] == "PENDING"


def test_s3_refuses_an_expired_upload(outputs: dict[str, str], product: dict[str, Any]) -> None:
    s3 = aws_client(outputs, "s3")
    key = f"originals/{product['productId']}/expired-{uuid.uuid4().hex[:8]}"
    expired = s3.generate_presigned_post(outputs["ImagesBucketName"], key, ExpiresIn=-60)
    resp = requests.post(expired["url"], data=expired["fields"], files={"file": ("x", b"abc")}, timeout=10)
    assert resp.status_code in (400, 403) and "expired" in resp.text.lower()
    with pytest.raises(ClientError):
        s3.head_object(Bucket=outputs["ImagesBucketName"], Key=key)


def test_bytes_that_are_not_the_declared_image_are_rejected_and_deleted(
    api: Api, admin: dict[str, Any], product: dict[str, Any], outputs: dict[str, str]
) -> None:
    junk = os.urandom(4096)
    t = ticket(api, admin, product["productId"], "image/png", len(junk))
    assert upload(t["upload"], junk).status_code in (200, 201, 204)
    image = settled(api, product["productId"], t["imageId"])
    assert image["status"] == "REJECTED" and image["url"] is None
    s3 = aws_client(outputs, "s3")
    prefix = f"originals/{product['productId']}/"
    # the processor records REJECTED first, then deletes the upload: poll for the deletion
    wait_for(
        lambda: s3.list_objects_v2(Bucket=outputs["ImagesBucketName"], Prefix=prefix).get("KeyCount", 0) == 0,
        what="the rejected upload deleted",
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"contentType": "image/gif", "contentLength": 100}, "UNSUPPORTED_MEDIA_TYPE"),
        ({"contentType": "image/png", "contentLength": 5 * 1024 * 1024 + 1}, "TOO_LARGE"),
        ({"contentType": "image/png"}, "VALIDATION_ERROR"),
    ],
)
def test_bad_upload_requests(
    api: Api, admin: dict[str, Any], product: dict[str, Any], body: dict[str, Any], code: str
) -> None:
    resp = api.post(f"/products/{product['productId']}/images", json=body, token=admin["token"])
    assert resp.status_code == 400 and resp.json()["error"]["code"] == code


def test_only_admins_get_upload_urls(
    api: Api, product: dict[str, Any], new_customer: Callable[..., Any], admin: dict[str, Any]
) -> None:
    body = {"contentType": "image/png", "contentLength": 100}
    assert (
        api.post(f"/products/{product['productId']}/images", json=body, token=new_customer()["token"]).status_code
        == 403
    )
    assert api.post(f"/products/{product['productId']}/images", json=body).status_code == 401
    assert api.post("/products/01NOSUCHPRODUCT000000000000/images", json=body, token=admin["token"]).status_code == 404


def test_deleting_an_image_and_a_product_removes_their_objects(
    api: Api, admin: dict[str, Any], product: dict[str, Any], outputs: dict[str, str]
) -> None:
    s3, bucket, pid = aws_client(outputs, "s3"), outputs["ImagesBucketName"], product["productId"]

    def objects() -> list[str]:
        return [
            o["Key"]
            for prefix in ("originals/", "images/", "thumbnails/")
            for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}{pid}/").get("Contents", [])
        ]

    ids = []
    for _ in range(2):
        data = picture("PNG", (400, 400))
        t = ticket(api, admin, pid, "image/png", len(data))
        upload(t["upload"], data)
        assert settled(api, pid, t["imageId"])["status"] == "READY"
        ids.append(t["imageId"])
    assert len(objects()) == 4

    assert api.delete(f"/products/{pid}/images/{ids[0]}", token=admin["token"]).status_code == 204
    assert [i["imageId"] for i in api.get(f"/products/{pid}").json()["images"]] == [ids[1]]
    assert all(ids[0] not in key for key in objects()) and len(objects()) == 2

    assert api.delete(f"/products/{pid}", token=admin["token"]).status_code == 204
    wait_for(lambda: objects() == [], timeout=30, what="the deleted product's images removed from S3")
