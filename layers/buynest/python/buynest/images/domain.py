"""Product images: the upload rules, the object layout in the bucket and the outcome of checking an upload, in plain
Python (no AWS, no Pillow: the API functions that import this do not ship Pillow)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from buynest.core.errors import BuynestError, Conflict, InvalidInput, NotFound

MIB = 1024 * 1024
MAX_IMAGE_BYTES = 5 * MIB
MAX_IMAGES_PER_PRODUCT = 10
THUMBNAIL_MAX_SIDE = 320
MAX_PIXELS = 40_000_000
UPLOAD_TTL_SECONDS = 300
# A PENDING image whose upload never came stops counting towards the cap this long after its pre-signed POST
# expired: S3 refuses the POST after UPLOAD_TTL_SECONDS, and an upload posted just in time is processed well within
# this margin (the uploads queue retries 3 times, 180 s apart, before its DLQ).
PENDING_GRACE_SECONDS = 600

PENDING: Final = "PENDING"
READY: Final = "READY"
REJECTED: Final = "REJECTED"
STATUSES = (PENDING, READY, REJECTED)

# Content type -> Pillow format name. Only these decoders are ever tried on an upload.
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}

UPLOADS_PREFIX = "originals/"
IMAGES_PREFIX = "images/"
THUMBNAILS_PREFIX = "thumbnails/"
PREFIXES = (UPLOADS_PREFIX, IMAGES_PREFIX, THUMBNAILS_PREFIX)


class ImageError(BuynestError):
    """Base of the images service's errors."""


class UnsupportedMediaType(ImageError, InvalidInput):
    code = "UNSUPPORTED_MEDIA_TYPE"


class TooLarge(ImageError, InvalidInput):
    code = "TOO_LARGE"


class TooManyImages(ImageError, Conflict):
    code = "TOO_MANY_IMAGES"


class ProductNotFound(ImageError, NotFound):
    pass


class ImageNotFound(ImageError, NotFound):
    pass


def check_upload(content_type: str, content_length: int, max_bytes: int = MAX_IMAGE_BYTES) -> str:
    """The normalised content type of an acceptable upload declaration; refuses other types and larger files."""
    normalised = content_type.strip().lower()
    if normalised not in FORMATS:
        accepted = ", ".join(FORMATS)
        raise UnsupportedMediaType(f"contentType: must be one of {accepted}, got {content_type[:100]!r}")
    if content_length > max_bytes:
        raise TooLarge(f"contentLength: must be at most {max_bytes} bytes ({max_bytes / MIB:g} MiB)")
    return normalised


def upload_key(product_id: str, image_id: str) -> str:
    """Where the client uploads (the bucket notifies the processor for this prefix only)."""
    return f"{UPLOADS_PREFIX}{product_id}/{image_id}"


def image_key(product_id: str, image_id: str) -> str:
    """Where the processor puts the bytes it checked: the only original ever shown to browsers. A second upload
    with the same (still valid) pre-signed POST lands in the upload prefix and is never served unchecked."""
    return f"{IMAGES_PREFIX}{product_id}/{image_id}"


def thumbnail_key(product_id: str, image_id: str) -> str:
    return f"{THUMBNAILS_PREFIX}{product_id}/{image_id}"


def object_keys(product_id: str, image_id: str) -> tuple[str, str, str]:
    """Every object an image may have."""
    return upload_key(product_id, image_id), image_key(product_id, image_id), thumbnail_key(product_id, image_id)


def product_prefixes(product_id: str) -> tuple[str, ...]:
    """Key prefixes holding every object of a product's images."""
    return tuple(f"{prefix}{product_id}/" for prefix in PREFIXES)


def parse_upload_key(key: str) -> tuple[str, str] | None:
    """``(productId, imageId)`` of an upload key, None for any other key."""
    if not key.startswith(UPLOADS_PREFIX):
        return None
    parts = key.removeprefix(UPLOADS_PREFIX).split("/")
    if len(parts) != 2 or not all(p and p.isascii() and p.replace("-", "").isalnum() for p in parts):
        return None
    return parts[0], parts[1]


def thumbnail_size(width: int, height: int, max_side: int = THUMBNAIL_MAX_SIDE) -> tuple[int, int]:
    """Size of the thumbnail: aspect ratio kept, long side at most ``max_side``, never enlarged, never 0."""
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


@dataclass(frozen=True)
class ImageRecord:
    """An image as recorded on its product. ``published`` says whether ``ImageProcessed`` went out for its final
    status (so a redelivered upload event sends it if, and only if, an earlier attempt did not)."""

    image_id: str
    status: str
    content_type: str
    content_length: int
    created_at: str
    updated_at: str
    width: int | None = None
    height: int | None = None
    key: str | None = None
    thumbnail_key: str | None = None
    reason: str | None = None
    published: bool = False

    @property
    def final(self) -> bool:
        return self.status != PENDING

    def abandoned(self, now: datetime, upload_ttl_seconds: int, grace_seconds: int = PENDING_GRACE_SECONDS) -> bool:
        """A PENDING image whose upload can no longer come: its pre-signed POST expired more than the grace ago."""
        if self.status != PENDING:
            return False
        created = datetime.fromisoformat(self.created_at)
        return now - created > timedelta(seconds=upload_ttl_seconds + grace_seconds)


@dataclass(frozen=True)
class StoredObject:
    """An object read from the bucket: at most ``max_bytes + 1`` of its bytes, its Content-Type and full size."""

    data: bytes
    content_type: str
    size: int


@dataclass(frozen=True)
class Accepted:
    """The upload is an image of its declared type: its size as displayed, the original to serve (the pixels only:
    no EXIF, XMP or trailing bytes) and the thumbnail to store."""

    width: int
    height: int
    original: bytes
    thumbnail: bytes
    thumbnail_type: str


@dataclass(frozen=True)
class Rejected:
    """The upload is not an acceptable image; ``reason`` is a sentence for the admin (logs, event)."""

    reason: str


Inspection = Accepted | Rejected
