"""The upload processor's decisions and the two event handlers (SQS uploads, products stream), with fakes and the
real Pillow inspector."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image

from buynest.images.imaging import PillowInspector
from buynest.images.runtime import set_image_processor, set_image_service
from buynest.images.service import ImageProcessor, ImageService
from buynest.products.service import ProductService
from tests.conftest import FakeContext, load_handler
from tests.unit.fakes import FakeImageRepository, FakeObjectStorage, FakeProductRepository, RecordingPublisher
from tests.unit.image_samples import SECRETS, tagged_upload

process_image = load_handler("images/process_image")
on_product_removed = load_handler("images/on_product_removed")


def picture(fmt: str = "PNG", size: tuple[int, int] = (800, 500)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 160, 90)).save(out, fmt)
    return out.getvalue()


@dataclass
class World:
    repo: FakeImageRepository
    storage: FakeObjectStorage
    publisher: RecordingPublisher
    service: ImageService
    processor: ImageProcessor
    products: ProductService

    def upload(self, product_id: str, data: bytes, content_type: str = "image/png") -> str:
        """Request an upload as the admin would, then put the bytes where the pre-signed POST points."""
        ticket = self.service.request_upload(product_id, content_type, len(data))
        self.storage.upload(ticket.upload["fields"]["key"], data, content_type)
        return ticket.image_id

    def image(self, product_id: str, image_id: str) -> dict[str, Any] | None:
        shown = self.products.get(product_id).public()["images"]
        return next((i for i in shown if i["imageId"] == image_id), None)

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(e["Detail"]) | {"type": e["DetailType"]} for e in self.publisher.entries]


@pytest.fixture
def world(product_repo: FakeProductRepository, products: ProductService) -> Iterator[World]:
    repo, storage, publisher = FakeImageRepository(product_repo), FakeObjectStorage(), RecordingPublisher()
    service = ImageService(repo, storage)
    processor = ImageProcessor(repo, storage, PillowInspector(), publisher)
    set_image_service(service)
    set_image_processor(processor)
    yield World(repo, storage, publisher, service, processor, products)
    set_image_service(None)
    set_image_processor(None)


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_a_valid_upload_becomes_ready_with_its_thumbnail(
    world: World, make_product: Any, fmt: str, content_type: str
) -> None:
    pid = make_product().product_id
    data = picture(fmt)
    iid = world.upload(pid, data, content_type)

    assert world.processor.process(f"originals/{pid}/{iid}") == "READY"

    assert world.image(pid, iid) == {
        "imageId": iid,
        "status": "READY",
        "url": None,
        "thumbnailUrl": None,
        "width": 800,
        "height": 500,
    }
    assert set(world.storage.objects) == {f"images/{pid}/{iid}", f"thumbnails/{pid}/{iid}"}
    served, served_type = world.storage.objects[f"images/{pid}/{iid}"]
    with Image.open(io.BytesIO(served)) as original:
        assert served_type == content_type and original.format == fmt and original.size == (800, 500)
    thumb, thumb_type = world.storage.objects[f"thumbnails/{pid}/{iid}"]
    with Image.open(io.BytesIO(thumb)) as t:
        assert thumb_type == content_type and t.format == fmt and t.size == (320, 200)
    [event] = world.events()
    assert event["type"] == "ImageProcessed"
    assert event["data"] == {
        "productId": pid,
        "imageId": iid,
        "status": "READY",
        "width": 800,
        "height": 500,
        "reason": None,
    }
    assert set(event["metadata"]) == {"eventId", "eventVersion", "correlationId", "occurredAt"}


def test_the_served_original_of_a_phone_photo_carries_no_gps_position(world: World, make_product: Any) -> None:
    """Guards: the processor copied the upload's bytes to the served key, EXIF GPS, XMP and trailer included."""
    pid = make_product().product_id
    upload = tagged_upload("image/jpeg")
    iid = world.upload(pid, upload, "image/jpeg")

    assert world.processor.process(f"originals/{pid}/{iid}") == "READY"

    served, _ = world.storage.objects[f"images/{pid}/{iid}"]
    assert [s for s in SECRETS if s in served] == [] and served.endswith(b"\xff\xd9")
    with Image.open(io.BytesIO(served)) as original:
        assert dict(original.getexif()) == {} and "xmp" not in original.info and original.size == (600, 400)


@pytest.mark.parametrize(
    ("data", "declared", "why"),
    [
        (os.urandom(2048), "image/png", "not a readable image"),
        (picture("PNG"), "image/jpeg", "PNG image, not the declared image/jpeg"),
    ],
)
def test_an_invalid_upload_is_rejected_and_deleted(
    world: World, make_product: Any, data: bytes, declared: str, why: str
) -> None:
    pid = make_product().product_id
    iid = world.upload(pid, data, declared)

    assert world.processor.process(f"originals/{pid}/{iid}") == "REJECTED"

    assert world.image(pid, iid) == {
        "imageId": iid,
        "status": "REJECTED",
        "url": None,
        "thumbnailUrl": None,
        "width": None,
        "height": None,
    }
    assert world.storage.objects == {}
    [event] = world.events()
    assert event["data"]["status"] == "REJECTED" and why in event["data"]["reason"]


def test_an_object_stored_with_another_content_type_is_rejected(world: World, make_product: Any) -> None:
    pid = make_product().product_id
    ticket = world.service.request_upload(pid, "image/png", 5000)
    world.storage.upload(ticket.upload["fields"]["key"], picture("PNG", (10, 10)), "image/jpeg")
    assert world.processor.process(ticket.upload["fields"]["key"]) == "REJECTED"
    assert "stored as 'image/jpeg'" in world.events()[0]["data"]["reason"]


def test_an_object_larger_than_declared_is_rejected(world: World, make_product: Any) -> None:
    pid = make_product().product_id
    ticket = world.service.request_upload(pid, "image/png", 10)
    world.storage.upload(ticket.upload["fields"]["key"], picture("PNG"), "image/png")
    assert world.processor.process(ticket.upload["fields"]["key"]) == "REJECTED"


def test_the_same_event_twice_changes_nothing_twice(world: World, make_product: Any) -> None:
    pid = make_product().product_id
    iid = world.upload(pid, picture())
    key = f"originals/{pid}/{iid}"
    assert world.processor.process(key) == "READY"
    before = (world.image(pid, iid), dict(world.storage.objects), len(world.publisher.entries))
    assert world.processor.process(key) == "DONE"
    assert (world.image(pid, iid), dict(world.storage.objects), len(world.publisher.entries)) == before


def test_a_second_upload_after_ready_is_never_served(world: World, make_product: Any) -> None:
    pid = make_product().product_id
    data = picture()
    iid = world.upload(pid, data)
    key = f"originals/{pid}/{iid}"
    world.processor.process(key)
    world.storage.upload(key, os.urandom(500), "image/png")
    assert world.processor.process(key) == "DONE"
    assert key not in world.storage.objects and world.storage.objects[f"images/{pid}/{iid}"][0] == data


def test_an_event_lost_to_a_bus_outage_is_published_on_the_retry_once(world: World, make_product: Any) -> None:
    pid = make_product().product_id
    iid = world.upload(pid, picture())
    key = f"originals/{pid}/{iid}"
    world.publisher.down = True
    with pytest.raises(RuntimeError):
        world.processor.process(key)
    assert world.image(pid, iid)["status"] == "READY"  # type: ignore[index]
    world.publisher.down = False
    assert world.processor.process(key) == "DONE"
    assert world.processor.process(key) == "DONE"
    assert [e["data"]["status"] for e in world.events()] == ["READY"]


def test_uploads_for_a_deleted_image_or_product_are_deleted_quietly(world: World, make_product: Any) -> None:
    pid = make_product().product_id
    iid = world.upload(pid, picture())
    world.service.delete(pid, iid)
    world.storage.upload(f"originals/{pid}/{iid}", picture(), "image/png")
    assert world.processor.process(f"originals/{pid}/{iid}") == "ORPHAN"
    other = world.upload(pid, picture())
    world.products.delete(pid)
    assert world.processor.process(f"originals/{pid}/{other}") == "ORPHAN"
    assert world.storage.objects == {} and world.publisher.entries == []


def test_an_image_deleted_while_it_is_processed_leaves_no_objects(world: World, make_product: Any) -> None:
    pid = make_product().product_id
    iid = world.upload(pid, picture())
    real_finish = world.repo.finish

    def finish_after_delete(product_id: str, record: Any) -> bool:
        world.repo.remove(product_id, record.image_id)
        return real_finish(product_id, record)

    world.repo.finish = finish_after_delete  # type: ignore[method-assign]
    assert world.processor.process(f"originals/{pid}/{iid}") == "LOST"
    assert world.storage.objects == {} and world.publisher.entries == []


def test_keys_outside_the_upload_prefix_are_ignored(world: World) -> None:
    world.storage.upload("images/P/I", b"x", "image/png")
    assert world.processor.process("images/P/I") == "IGNORED"
    assert "images/P/I" in world.storage.objects


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"m{i}",
                "receiptHandle": f"r{i}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:uploads",
                "awsRegion": "us-east-1",
            }
            for i, body in enumerate(bodies)
        ]
    }


def s3_notification(*keys: str, event_name: str = "ObjectCreated:Post") -> str:
    records = [
        {"eventName": event_name, "s3": {"bucket": {"name": "images"}, "object": {"key": key, "size": 10}}}
        for key in keys
    ]
    return json.dumps({"Records": records})


def test_sqs_handler_processes_each_notification_and_reports_only_bad_messages(world: World, make_product: Any) -> None:
    pid = make_product().product_id
    good, bad = world.upload(pid, picture()), world.upload(pid, b"not an image")
    test_event = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "images"})
    event = sqs_event(
        s3_notification(f"originals/{pid}/{good}", f"originals/{pid}/{bad}"),
        test_event,
        "garbage",
        s3_notification(f"originals/{pid}/{good}", event_name="ObjectRemoved:Delete"),
    )

    result = process_image.handler(event, FakeContext())

    assert result == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    assert world.image(pid, good)["status"] == "READY"  # type: ignore[index]
    assert world.image(pid, bad)["status"] == "REJECTED"  # type: ignore[index]


def test_sqs_handler_reports_a_record_whose_processing_failed(world: World, make_product: Any) -> None:
    pid = make_product().product_id
    iid = world.upload(pid, picture())
    world.publisher.down = True
    result = process_image.handler(sqs_event(s3_notification(f"originals/{pid}/{iid}")), FakeContext())
    assert result == {"batchItemFailures": [{"itemIdentifier": "m0"}]}


def stream_record(name: str, product_id: str, seq: str) -> dict[str, Any]:
    return {
        "eventID": seq,
        "eventName": name,
        "eventSource": "aws:dynamodb",
        "eventSourceARN": "arn:aws:dynamodb:us-east-1:000000000000:table/products/stream/x",
        "dynamodb": {
            "Keys": {"productId": {"S": product_id}},
            "SequenceNumber": seq,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


def test_stream_handler_deletes_a_removed_products_objects_only(world: World, make_product: Any) -> None:
    gone, kept = make_product().product_id, make_product().product_id
    for pid in (gone, kept):
        iid = world.upload(pid, picture())
        world.processor.process(f"originals/{pid}/{iid}")
    world.storage.upload(f"originals/{gone}/LATE", picture(), "image/png")
    world.products.delete(gone)
    event = {"Records": [stream_record("REMOVE", gone, "1"), stream_record("MODIFY", kept, "2")]}

    assert on_product_removed.handler(event, FakeContext()) == {"batchItemFailures": []}

    assert world.storage.objects and all(kept in key for key in world.storage.objects)
