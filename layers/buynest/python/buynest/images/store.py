"""Images on the products table (pynamodb). The images service sees only a product's key and its ``images`` map
(imageId -> entry), and writes one entry at a time by path, so it never overwrites what the products service
writes (the table's read model: ``buynest.core.catalog``). Existence, the per-product cap and the PENDING -> final
step are conditions of those writes."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import MapAttribute, UnicodeAttribute
from pynamodb.exceptions import AttributeDeserializationError, DoesNotExist, UpdateError
from pynamodb.expressions.condition import size
from pynamodb.expressions.operand import Path
from pynamodb.models import Model

from buynest.core import catalog
from buynest.images.domain import PENDING, ImageNotFound, ImageRecord, ProductNotFound, TooManyImages


class ProductImagesItem(Model):
    class Meta:
        table_name = "products"

    productId = UnicodeAttribute(hash_key=True, attr_name=catalog.KEY)
    images = MapAttribute[str, Any](default=dict, attr_name=catalog.IMAGES)


_FIELDS = {
    "image_id": "imageId",
    "status": catalog.IMAGE_STATUS,
    "content_type": "contentType",
    "content_length": "contentLength",
    "created_at": "createdAt",
    "updated_at": "updatedAt",
    "width": catalog.IMAGE_WIDTH,
    "height": catalog.IMAGE_HEIGHT,
    "key": catalog.IMAGE_KEY,
    "thumbnail_key": catalog.IMAGE_THUMBNAIL_KEY,
    "reason": "reason",
    "published": "published",
}


def _entry(record: ImageRecord) -> dict[str, Any]:
    entry = {stored: getattr(record, name) for name, stored in _FIELDS.items()}
    return {k: v for k, v in entry.items() if v is not None}


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _record(entry: Any) -> ImageRecord:
    raw = entry.as_dict() if isinstance(entry, MapAttribute) else dict(entry)
    return ImageRecord(
        image_id=str(raw["imageId"]),
        status=str(raw["status"]),
        content_type=str(raw.get("contentType", "")),
        content_length=int(raw.get("contentLength") or 0),
        created_at=str(raw.get("createdAt", "")),
        updated_at=str(raw.get("updatedAt", "")),
        width=_int_or_none(raw.get("width")),
        height=_int_or_none(raw.get("height")),
        key=raw.get("key"),
        thumbnail_key=raw.get("thumbnailKey"),
        reason=raw.get("reason"),
        published=bool(raw.get("published")),
    )


def _conditional(exc: UpdateError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


class DynamoImageRepository:
    """ImageRepository on the products table."""

    def __init__(self, table_name: str) -> None:
        ProductImagesItem.Meta.table_name = table_name

    def add(self, product_id: str, record: ImageRecord, max_images: int) -> None:
        item = ProductImagesItem(productId=product_id)
        images = ProductImagesItem.images
        try:
            item.update(
                actions=[images[record.image_id].set(_entry(record))],
                condition=ProductImagesItem.productId.exists() & images.is_type() & (size(images) < max_images),
            )
            return
        except UpdateError as exc:
            if not _conditional(exc):
                raise
        try:
            # A product stored before it had images holds no map yet (or an empty list): start one.
            item.update(
                actions=[images.set({record.image_id: _entry(record)})],
                condition=ProductImagesItem.productId.exists() & (images.does_not_exist() | Path(images).is_type("L")),
            )
            return
        except UpdateError as exc:
            if not _conditional(exc):
                raise
        if not self._exists(product_id):
            raise ProductNotFound(f"product {product_id} does not exist")
        raise TooManyImages(f"a product has at most {max_images} images: delete one first")

    def get(self, product_id: str, image_id: str) -> ImageRecord | None:
        try:
            item = ProductImagesItem.get(
                product_id,
                consistent_read=True,
                attributes_to_get=["productId", f"images.{image_id}"],
            )
        except DoesNotExist:
            return None
        entry = (item.images.as_dict() if item.images is not None else {}).get(image_id)
        return _record(entry) if entry else None

    def list(self, product_id: str) -> list[ImageRecord]:
        try:
            item = ProductImagesItem.get(product_id, consistent_read=True, attributes_to_get=["productId", "images"])
        except (DoesNotExist, AttributeDeserializationError):
            # no product, or one stored before images existed (an empty list where the map goes): no images
            return []
        entries = item.images.as_dict() if isinstance(item.images, MapAttribute) else dict(item.images or {})
        return [_record(entry) for entry in entries.values()]

    def discard_pending(self, product_id: str, record: ImageRecord) -> bool:
        path = ProductImagesItem.images[record.image_id]
        try:
            ProductImagesItem(productId=product_id).update(
                actions=[path.remove()],
                condition=(path["status"] == PENDING) & (path["createdAt"] == record.created_at),
            )
        except UpdateError as exc:
            if _conditional(exc):
                return False
            raise
        return True

    def finish(self, product_id: str, record: ImageRecord) -> bool:
        path = ProductImagesItem.images[record.image_id]
        try:
            ProductImagesItem(productId=product_id).update(
                actions=[path.set(_entry(record))], condition=path["status"] == PENDING
            )
        except UpdateError as exc:
            if _conditional(exc):
                return False
            raise
        return True

    def mark_published(self, product_id: str, image_id: str) -> None:
        path = ProductImagesItem.images[image_id]
        try:
            ProductImagesItem(productId=product_id).update(
                actions=[path["published"].set(True)], condition=path.exists()
            )
        except UpdateError as exc:
            if not _conditional(exc):
                raise

    def remove(self, product_id: str, image_id: str) -> None:
        path = ProductImagesItem.images[image_id]
        try:
            ProductImagesItem(productId=product_id).update(actions=[path.remove()], condition=path.exists())
        except UpdateError as exc:
            if _conditional(exc):
                raise ImageNotFound(f"image {image_id} of product {product_id} does not exist") from exc
            raise

    def _exists(self, product_id: str) -> bool:
        try:
            ProductImagesItem.get(product_id, consistent_read=True, attributes_to_get=["productId"])
        except DoesNotExist:
            return False
        return True
