"""What the images service reads and sends: the bucket's notifications (as they arrive through the uploads queue)
and the ``ImageProcessed`` event it puts on the bus (the ``data`` of the ``buynest.core.events`` envelope)."""

from __future__ import annotations

import json
from typing import Annotated, Literal
from urllib.parse import unquote_plus

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from buynest.core.events import EventModel

SOURCE = "buynest.images"
IMAGE_PROCESSED = "ImageProcessed"

Id = Annotated[str, Field(min_length=1, max_length=128)]


class ImageProcessed(EventModel, event="ImageProcessed", source=SOURCE):
    """An uploaded image reached its final status: ``READY`` (with its size as displayed) or ``REJECTED`` (with the
    reason; the upload was deleted)."""

    product_id: Id
    image_id: Id
    status: Literal["READY", "REJECTED"]
    width: int | None = None
    height: int | None = None
    reason: str | None = None


class _S3Object(BaseModel):
    model_config = ConfigDict(extra="ignore")

    key: str
    size: int = 0


class _S3Bucket(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str


class _S3Entity(BaseModel):
    model_config = ConfigDict(extra="ignore")

    bucket: _S3Bucket
    object: _S3Object


class _S3Record(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    event_name: str = Field(alias="eventName")
    s3: _S3Entity


class _S3Notification(BaseModel):
    """S3's notification body. Its first message on a new configuration is an ``s3:TestEvent`` without records."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    records: list[_S3Record] = Field(default_factory=list, alias="Records")


class ObjectCreated(BaseModel):
    """One object that arrived in the bucket."""

    model_config = ConfigDict(frozen=True)

    bucket: str
    key: str
    size: int


def parse_object_created(body: str) -> list[ObjectCreated]:
    """The created objects an S3 notification (an SQS message body) announces; none for a test event or another
    kind of event. A body that is not an S3 notification raises ``ValueError`` (the record fails, then goes to the
    DLQ)."""
    try:
        notification = _S3Notification.model_validate(json.loads(body))
    except (ValueError, ValidationError) as exc:
        raise ValueError("message is not an S3 event notification") from exc
    return [
        ObjectCreated(bucket=r.s3.bucket.name, key=unquote_plus(r.s3.object.key), size=r.s3.object.size)
        for r in notification.records
        if r.event_name.startswith("ObjectCreated:")
    ]
