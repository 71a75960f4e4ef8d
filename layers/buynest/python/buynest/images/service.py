"""Image use cases: hand an admin a pre-signed upload, check what arrives, remove images (one, or all of a deleted
product's). The bytes never pass through the API: the client posts them straight to the bucket, whose notification
starts :class:`ImageProcessor`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from buynest.core.events import EventPublisher, make_event
from buynest.core.ids import iso, new_id, now_iso, utc_now
from buynest.core.settings import IntValue, current
from buynest.images.domain import (
    MAX_IMAGE_BYTES,
    MAX_IMAGES_PER_PRODUCT,
    PENDING,
    READY,
    REJECTED,
    UPLOAD_TTL_SECONDS,
    Accepted,
    ImageRecord,
    Inspection,
    Rejected,
    StoredObject,
    check_upload,
    object_keys,
    parse_upload_key,
    product_prefixes,
)
from buynest.images.messages import IMAGE_PROCESSED, SOURCE, ImageProcessed


class ImageRepository(Protocol):
    """Port to the images recorded on products (a map on the product item, keyed by image id)."""

    def add(self, product_id: str, record: ImageRecord, max_images: int) -> None:
        """Record a new image; ``ProductNotFound`` / ``TooManyImages`` when the product is missing or full."""
        ...

    def get(self, product_id: str, image_id: str) -> ImageRecord | None:
        """The image, or None when it or its product does not exist (strongly consistent)."""
        ...

    def list(self, product_id: str) -> list[ImageRecord]:
        """Every image of the product (none when it does not exist; strongly consistent)."""
        ...

    def discard_pending(self, product_id: str, record: ImageRecord) -> bool:
        """Take the image off its product if it is still this PENDING record (same ``createdAt``); False when it
        is not (processed or removed meanwhile)."""
        ...

    def finish(self, product_id: str, record: ImageRecord) -> bool:
        """Store the image's final state if it is still PENDING; False when it is not (gone or already final)."""
        ...

    def mark_published(self, product_id: str, image_id: str) -> None:
        """Note that ``ImageProcessed`` went out for the image (nothing if it is gone)."""
        ...

    def remove(self, product_id: str, image_id: str) -> None:
        """Take the image off its product; ``ImageNotFound`` when it or the product does not exist."""
        ...


class ObjectStorage(Protocol):
    """Port to the images bucket."""

    def presign_upload(self, key: str, content_type: str, max_length: int, expires_in: int) -> dict[str, Any]:
        """``{url, fields}`` of a browser POST whose policy pins the key, the exact Content-Type and the byte range
        1..``max_length``."""
        ...

    def read(self, key: str, max_bytes: int) -> StoredObject | None:
        """The object (None if it does not exist), reading no more than ``max_bytes + 1`` bytes."""
        ...

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def delete(self, keys: Sequence[str]) -> None:
        """Delete these objects; missing ones are fine."""
        ...

    def delete_prefixes(self, prefixes: Sequence[str]) -> int:
        """Delete every object under these prefixes; returns how many there were."""
        ...


class ImageInspector(Protocol):
    """Port to the image library: decides whether bytes really are an image of a content type, and thumbnails it."""

    def inspect(self, data: bytes, content_type: str) -> Inspection: ...


@dataclass(frozen=True)
class UploadTicket:
    """What the admin's client needs to upload: the new image's id and the pre-signed POST."""

    image_id: str
    upload: Mapping[str, Any]
    expires_in: int

    def public(self) -> dict[str, Any]:
        return {"imageId": self.image_id, "upload": dict(self.upload), "expiresIn": self.expires_in}


class ImageService:
    """Admin use cases on a product's images."""

    def __init__(
        self,
        repo: ImageRepository,
        storage: ObjectStorage,
        *,
        upload_ttl_seconds: int = UPLOAD_TTL_SECONDS,
        max_images: IntValue = MAX_IMAGES_PER_PRODUCT,
        max_bytes: int = MAX_IMAGE_BYTES,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        """``max_images``: a number or a reader of the live setting, read at each upload request."""
        self._repo = repo
        self._storage = storage
        self._clock = clock
        self._upload_ttl = upload_ttl_seconds
        self._max_images = max_images
        self._max_bytes = max_bytes

    def request_upload(self, product_id: str, content_type: str, content_length: int) -> UploadTicket:
        """Record a PENDING image on the product (refused when the product is missing or full) and pre-sign its
        upload, limited to the declared type and at most the declared size. Abandoned uploads (PENDING past their
        POST's lifetime and a grace) are removed first, so they never count towards the cap."""
        content_type = check_upload(content_type, content_length, self._max_bytes)
        self.discard_abandoned(product_id)
        now = iso(self._clock())
        record = ImageRecord(
            image_id=new_id(),
            status=PENDING,
            content_type=content_type,
            content_length=content_length,
            created_at=now,
            updated_at=now,
        )
        self._repo.add(product_id, record, current(self._max_images))
        key = object_keys(product_id, record.image_id)[0]
        upload = self._storage.presign_upload(key, content_type, content_length, self._upload_ttl)
        return UploadTicket(image_id=record.image_id, upload=upload, expires_in=self._upload_ttl)

    def discard_abandoned(self, product_id: str) -> int:
        """Remove the product's PENDING images whose upload can no longer come (and any object of theirs); returns
        how many. One strongly consistent read, plus one conditional write per abandoned image."""
        now = self._clock()
        removed = 0
        for record in self._repo.list(product_id):
            if record.abandoned(now, self._upload_ttl) and self._repo.discard_pending(product_id, record):
                self._storage.delete(object_keys(product_id, record.image_id))
                removed += 1
        return removed

    def delete(self, product_id: str, image_id: str) -> None:
        """Take the image off the product, then delete its objects. A processor finishing the same image meanwhile
        finds it gone and deletes what it wrote."""
        self._repo.remove(product_id, image_id)
        self._storage.delete(object_keys(product_id, image_id))

    def remove_product_images(self, product_id: str) -> int:
        """Delete every object of a deleted product's images (called from the products table's stream), including
        uploads that were still in flight; returns how many objects there were."""
        return self._storage.delete_prefixes(product_prefixes(product_id))


class ImageProcessor:
    """Checks one uploaded object and records the outcome. Safe to repeat: only a PENDING image is processed, only
    the attempt that moves it out of PENDING publishes, and a retry publishes what an earlier attempt could not."""

    def __init__(
        self,
        repo: ImageRepository,
        storage: ObjectStorage,
        inspector: ImageInspector,
        publisher: EventPublisher,
        *,
        max_bytes: int = MAX_IMAGE_BYTES,
    ) -> None:
        self._repo = repo
        self._storage = storage
        self._inspector = inspector
        self._publisher = publisher
        self._max_bytes = max_bytes

    def process(self, key: str, correlation_id: str | None = None) -> str:
        """Process the object at ``key``; returns what happened (for logs): READY, REJECTED, IGNORED (not an upload
        key), ORPHAN (no such image: its objects deleted), DONE (already final), GONE (the object is missing) or
        LOST (another attempt finished the image first)."""
        ids = parse_upload_key(key)
        if ids is None:
            return "IGNORED"
        product_id, image_id = ids
        upload, served, thumbnail = object_keys(product_id, image_id)
        record = self._repo.get(product_id, image_id)
        if record is None:
            self._storage.delete([upload, served, thumbnail])
            return "ORPHAN"
        if record.final:
            self._storage.delete([upload])
            self._publish_once(product_id, record, correlation_id)
            return "DONE"
        obj = self._storage.read(upload, self._max_bytes)
        if obj is None:
            return "GONE"
        inspection = self._inspect(record, obj)
        if isinstance(inspection, Accepted):
            self._storage.put(served, inspection.original, record.content_type)
            self._storage.put(thumbnail, inspection.thumbnail, inspection.thumbnail_type)
            final = replace(
                record,
                status=READY,
                width=inspection.width,
                height=inspection.height,
                key=served,
                thumbnail_key=thumbnail,
                updated_at=now_iso(),
            )
        else:
            final = replace(record, status=REJECTED, reason=inspection.reason, updated_at=now_iso())
        if not self._repo.finish(product_id, final):
            current = self._repo.get(product_id, image_id)
            stale = [served, thumbnail] if current is None or current.status == REJECTED else []
            self._storage.delete([upload, *stale])
            return "LOST"
        self._storage.delete([upload])
        self._publish_once(product_id, final, correlation_id)
        return final.status

    def _inspect(self, record: ImageRecord, obj: StoredObject) -> Inspection:
        if obj.size > self._max_bytes or len(obj.data) > self._max_bytes:
            return Rejected(f"the upload is larger than {self._max_bytes} bytes")
        if obj.size > record.content_length:
            return Rejected(f"the upload has {obj.size} bytes, more than the {record.content_length} declared")
        stored_type = obj.content_type.strip().lower()
        if stored_type != record.content_type:
            return Rejected(f"the upload is stored as {obj.content_type!r}, not the declared {record.content_type}")
        return self._inspector.inspect(obj.data, record.content_type)

    def _publish_once(self, product_id: str, record: ImageRecord, correlation_id: str | None) -> None:
        if record.published:
            return
        data = ImageProcessed(
            product_id=product_id,
            image_id=record.image_id,
            status=READY if record.status == READY else REJECTED,
            width=record.width,
            height=record.height,
            reason=record.reason,
        )
        self._publisher.publish([make_event(SOURCE, IMAGE_PROCESSED, data, correlation_id)])
        self._repo.mark_published(product_id, record.image_id)
