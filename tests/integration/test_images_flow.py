"""The images service in-process against moto: the handlers and adapters with the template's bucket notification,
queues, products table and bus. The upload goes to the pre-signed POST over HTTP (moto serves it, without checking
the policy, so the policy itself is asserted), the bucket notifies the uploads queue, and its messages are handed to
the processor as Lambda's SQS event source would."""

from __future__ import annotations

import base64
import io
import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from PIL import Image

from buynest.core.auth import token_service
from buynest.core.s3 import S3PresignedLinks
from buynest.products.runtime import set_product_service
from buynest.products.service import ProductService
from buynest.products.store import DynamoProductRepository
from tests.conftest import FakeContext, api_event, call, load_handler
from tests.integration.conftest import put_setting
from tests.integration.images_fixtures import BUCKET, ImagesEnv, images_env, products_stream_specification

request_upload = load_handler("images/request_upload")
delete_image = load_handler("images/delete_image")
process_image = load_handler("images/process_image")
on_product_removed = load_handler("images/on_product_removed")
get_product = load_handler("products/get_product")


@pytest.fixture
def env(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[ImagesEnv]:
    yield from images_env(aws, monkeypatch)


@pytest.fixture
def catalog(env: ImagesEnv) -> ProductService:
    """The products service as its functions get it once wired to the bucket (pre-signed GETs for READY images)."""
    service = ProductService(DynamoProductRepository(env.products_table), S3PresignedLinks(BUCKET, expires_in=600))
    set_product_service(service)
    return service


@pytest.fixture
def admin_token(env: ImagesEnv) -> str:
    return token_service().issue("01ADMIN", "admin")


@pytest.fixture
def make_product(catalog: ProductService) -> Any:
    def factory(name: str = "Mug") -> str:
        return catalog.create(name, "", 12000, 5, "kitchen").product_id

    return factory


def picture(fmt: str, size: tuple[int, int] = (1200, 800)) -> bytes:
    image = Image.new("RGB", size, (240, 200, 30))
    image.paste((10, 40, 200), (size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def request(product_id: str, token: str, content_type: str, length: int) -> tuple[int, Any]:
    event = api_event(
        "POST",
        f"/products/{product_id}/images",
        "/products/{productId}/images",
        body={"contentType": content_type, "contentLength": length},
        path_params={"productId": product_id},
        token=token,
    )
    return call(request_upload, event)


def upload(product_id: str, token: str, data: bytes, content_type: str) -> str:
    """What an admin's browser does: ask for an upload, then POST the file to the bucket with the given fields."""
    status, ticket = request(product_id, token, content_type, len(data))
    assert status == 201, ticket
    up = ticket["upload"]
    resp = requests.post(up["url"], data=up["fields"], files={"file": ("upload", data, content_type)}, timeout=10)
    assert resp.status_code == 204, resp.text
    return str(ticket["imageId"])


def sqs_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:it-ImageUploadsQueue",
                "awsRegion": "us-east-1",
            }
            for m in messages
        ]
    }


def run_processor(env: ImagesEnv) -> list[dict[str, Any]]:
    """Deliver what the bucket sent to the uploads queue to the processor; returns the messages."""
    messages = env.receive(env.uploads_queue)
    result = process_image.handler(sqs_event(messages), FakeContext())
    assert result == {"batchItemFailures": []}
    return messages


def shown_images(product_id: str) -> list[dict[str, Any]]:
    event = api_event("GET", f"/products/{product_id}", "/products/{productId}", path_params={"productId": product_id})
    status, body = call(get_product, event)
    assert status == 200
    return list(body["images"])


def stored_image(env: ImagesEnv, product_id: str, image_id: str) -> dict[str, Any] | None:
    item = env.ddb.get_item(TableName=env.products_table, Key={"productId": {"S": product_id}}, ConsistentRead=True)
    entry: dict[str, Any] | None = item.get("Item", {}).get("images", {}).get("M", {}).get(image_id)
    return entry


def test_the_presigned_post_pins_key_type_size_and_expiry(env: ImagesEnv, make_product: Any, admin_token: str) -> None:
    pid = make_product()
    status, ticket = request(pid, admin_token, "image/webp", 123_456)
    assert status == 201 and ticket["expiresIn"] == 300
    key = f"originals/{pid}/{ticket['imageId']}"
    fields = ticket["upload"]["fields"]
    assert ticket["upload"]["url"].startswith("https://") and BUCKET in ticket["upload"]["url"]
    assert fields["key"] == key and fields["Content-Type"] == "image/webp"
    assert {"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature", "policy"} <= set(fields)

    policy = json.loads(base64.b64decode(fields["policy"]))

    conditions = policy["conditions"]
    assert {"bucket": BUCKET} in conditions
    assert {"key": key} in conditions
    assert {"Content-Type": "image/webp"} in conditions
    assert ["content-length-range", 1, 123_456] in conditions
    assert not any(isinstance(c, list) and c[0] == "starts-with" for c in conditions)
    expires = time.mktime(time.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert 290 <= expires - time.time() <= 301
    assert stored_image(env, pid, ticket["imageId"])["M"]["status"] == {"S": "PENDING"}  # type: ignore[index]


@pytest.mark.parametrize(("fmt", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_an_uploaded_image_becomes_ready_with_a_thumbnail_and_links(
    env: ImagesEnv, make_product: Any, admin_token: str, fmt: str, content_type: str
) -> None:
    pid = make_product()
    data = picture(fmt)
    iid = upload(pid, admin_token, data, content_type)
    assert shown_images(pid)[0]["status"] == "PENDING"

    run_processor(env)

    assert env.object_keys() == {f"images/{pid}/{iid}", f"thumbnails/{pid}/{iid}"}
    served, served_type = env.object(f"images/{pid}/{iid}")
    with Image.open(io.BytesIO(served)) as original:
        assert served_type == content_type and original.format == fmt and original.size == (1200, 800)
    thumb, thumb_type = env.object(f"thumbnails/{pid}/{iid}")
    with Image.open(io.BytesIO(thumb)) as t:
        assert thumb_type == content_type and t.format == fmt and max(t.size) <= 320 and t.size == (320, 213)
    [shown] = shown_images(pid)
    assert (shown["imageId"], shown["status"], shown["width"], shown["height"]) == (iid, "READY", 1200, 800)
    assert "X-Amz-Signature=" in shown["url"] and "X-Amz-Signature=" in shown["thumbnailUrl"]
    assert requests.get(shown["url"], timeout=10).content == served
    assert requests.get(shown["thumbnailUrl"], timeout=10).content == thumb
    [event] = env.published()
    assert (event["source"], event["detail-type"]) == ("buynest.images", "ImageProcessed")
    assert event["detail"]["data"] == {
        "productId": pid,
        "imageId": iid,
        "status": "READY",
        "width": 1200,
        "height": 800,
        "reason": None,
    }
    assert set(event["detail"]["metadata"]) == {"eventId", "eventVersion", "correlationId", "occurredAt"}


def test_random_bytes_declared_as_png_are_rejected_and_deleted(
    env: ImagesEnv, make_product: Any, admin_token: str
) -> None:
    pid = make_product()
    iid = upload(pid, admin_token, os.urandom(3000), "image/png")

    run_processor(env)

    assert env.object_keys() == set()
    assert shown_images(pid) == [
        {"imageId": iid, "status": "REJECTED", "url": None, "thumbnailUrl": None, "width": None, "height": None}
    ]
    [event] = env.published()
    assert event["detail"]["data"]["status"] == "REJECTED" and event["detail"]["data"]["reason"]


def test_the_same_notification_twice_changes_nothing_twice(env: ImagesEnv, make_product: Any, admin_token: str) -> None:
    pid = make_product()
    iid = upload(pid, admin_token, picture("PNG"), "image/png")
    messages = run_processor(env)
    assert len(env.published()) == 1
    before = (stored_image(env, pid, iid), {k: env.object(k) for k in env.object_keys()})

    assert process_image.handler(sqs_event(messages), FakeContext()) == {"batchItemFailures": []}

    assert (stored_image(env, pid, iid), {k: env.object(k) for k in env.object_keys()}) == before
    assert env.published() == []


def test_delete_image_removes_it_and_its_objects(env: ImagesEnv, make_product: Any, admin_token: str) -> None:
    pid = make_product()
    keep = upload(pid, admin_token, picture("PNG", (50, 50)), "image/png")
    gone = upload(pid, admin_token, picture("JPEG"), "image/jpeg")
    run_processor(env)
    assert len(env.object_keys(f"images/{pid}/")) == 2
    assert [i["imageId"] for i in shown_images(pid)] == sorted([keep, gone])

    def delete(image_id: str) -> tuple[int, Any]:
        event = api_event(
            "DELETE",
            f"/products/{pid}/images/{image_id}",
            "/products/{productId}/images/{imageId}",
            path_params={"productId": pid, "imageId": image_id},
            token=admin_token,
        )
        return call(delete_image, event)

    assert delete(gone) == (204, None)

    assert env.object_keys() == {f"images/{pid}/{keep}", f"thumbnails/{pid}/{keep}"}
    assert [i["imageId"] for i in shown_images(pid)] == [keep]
    assert delete(gone)[0] == 404


def test_removing_a_product_removes_its_objects_through_the_stream(
    env: ImagesEnv, catalog: ProductService, make_product: Any, admin_token: str
) -> None:
    table = env.ddb.describe_table(TableName=env.products_table)["Table"]
    if "LatestStreamArn" not in table:
        env.ddb.update_table(TableName=env.products_table, StreamSpecification=products_stream_specification())
    gone, kept = make_product("gone"), make_product("kept")
    for pid in (gone, kept):
        upload(pid, admin_token, picture("PNG", (64, 64)), "image/png")
    run_processor(env)
    upload(gone, admin_token, picture("PNG", (64, 64)), "image/png")
    catalog.delete(gone)

    records = [r for r in stream_records(env) if r["eventName"] == "REMOVE"]
    assert len(records) == 1
    assert on_product_removed.handler({"Records": records}, FakeContext()) == {"batchItemFailures": []}

    assert env.object_keys() and all(f"/{kept}/" in key for key in env.object_keys())
    run_processor(env)
    assert all(f"/{kept}/" in key for key in env.object_keys())


def stream_records(env: ImagesEnv) -> list[dict[str, Any]]:
    import boto3

    arn = env.ddb.describe_table(TableName=env.products_table)["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += streams.get_records(ShardIterator=iterator)["Records"]
    return json.loads(json.dumps(records, default=str))


def test_cap_unknown_product_and_a_product_stored_before_images(
    env: ImagesEnv, make_product: Any, admin_token: str
) -> None:
    put_setting("images-per-product", "2")
    env.ddb.put_item(
        TableName=env.products_table,
        Item={
            "productId": {"S": "01LEGACY"},
            "name": {"S": "Old mug"},
            "description": {"S": ""},
            "price": {"N": "1000"},
            "stock": {"N": "1"},
            "category": {"S": "kitchen"},
            "catalog": {"S": "catalog"},
            "sortKey": {"S": "2026-11-01T00:00:00Z#01LEGACY"},
            "images": {"L": []},
            "createdAt": {"S": "2026-11-01T00:00:00Z"},
            "updatedAt": {"S": "2026-11-01T00:00:00Z"},
        },
    )
    assert shown_images("01LEGACY") == []
    assert request("01LEGACY", admin_token, "image/png", 10)[0] == 201
    assert request("01LEGACY", admin_token, "image/png", 10)[0] == 201
    status, body = request("01LEGACY", admin_token, "image/png", 10)
    assert status == 409 and body["error"]["code"] == "TOO_MANY_IMAGES"
    assert [i["status"] for i in shown_images("01LEGACY")] == ["PENDING", "PENDING"]
    status, body = request("01NOSUCHPRODUCT", admin_token, "image/png", 10)
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"
    assert (
        env.ddb.get_item(TableName=env.products_table, Key={"productId": {"S": "01NOSUCHPRODUCT"}}).get("Item") is None
    )


def test_an_upload_for_a_deleted_product_is_deleted(
    env: ImagesEnv, catalog: ProductService, make_product: Any, admin_token: str
) -> None:
    pid = make_product()
    upload(pid, admin_token, picture("PNG", (64, 64)), "image/png")
    catalog.delete(pid)

    run_processor(env)

    assert env.object_keys() == set() and env.published() == []


def test_uploads_abandoned_long_ago_are_removed_at_the_next_request_and_free_the_cap(
    env: ImagesEnv, make_product: Any, admin_token: str
) -> None:
    """Guards: PENDING entries whose pre-signed POST expired long ago counted towards the cap forever (the table's
    own conditions, not a fake: the removal is conditional on the entry still being that PENDING one)."""
    put_setting("images-per-product", "2")
    pid = make_product()
    long_ago = {"S": "2026-01-01T00:00:00Z"}
    for image_id, status in (("01STALEPENDING", "PENDING"), ("01OLDREADY", "READY")):
        entry = {"imageId": {"S": image_id}, "status": {"S": status}, "contentType": {"S": "image/png"},
                 "contentLength": {"N": "10"}, "createdAt": long_ago, "updatedAt": long_ago}  # fmt: skip
        env.ddb.update_item(
            TableName=env.products_table,
            Key={"productId": {"S": pid}},
            UpdateExpression="SET images.#id = :entry",
            ExpressionAttributeNames={"#id": image_id},
            ExpressionAttributeValues={":entry": {"M": entry}},
        )

    status, body = request(pid, admin_token, "image/png", 10)

    assert status == 201, body
    assert stored_image(env, pid, "01STALEPENDING") is None
    assert sorted(i["imageId"] for i in shown_images(pid)) == sorted(["01OLDREADY", body["imageId"]])
    status, body = request(pid, admin_token, "image/png", 10)
    assert status == 409 and body["error"]["code"] == "TOO_MANY_IMAGES"
