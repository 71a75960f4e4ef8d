"""Processing decisions on in-memory bytes, with the real Pillow inspector."""

from __future__ import annotations

import io
import os
import struct
import zlib

import pytest
from PIL import ExifTags, Image

from buynest.images.domain import THUMBNAIL_MAX_SIDE, Accepted, Rejected, thumbnail_size
from buynest.images.imaging import PillowInspector
from tests.unit.image_samples import SECRETS, tagged_upload

FORMAT_OF = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}


def image_bytes(content_type: str, size: tuple[int, int] = (640, 480), **save: object) -> bytes:
    picture = Image.new("RGB", size, (200, 120, 40))
    picture.paste((20, 90, 200), (0, 0, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    picture.save(out, FORMAT_OF[content_type], **save)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels: a decompression bomb's calling card."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.fixture
def inspector() -> PillowInspector:
    return PillowInspector()


@pytest.mark.parametrize("content_type", ["image/png", "image/jpeg", "image/webp"])
def test_valid_images_are_accepted_with_a_thumbnail_of_the_right_size(
    inspector: PillowInspector, content_type: str
) -> None:
    result = inspector.inspect(image_bytes(content_type, (1000, 600)), content_type)
    assert isinstance(result, Accepted)
    assert (result.width, result.height) == (1000, 600)
    assert result.thumbnail_type == content_type
    with Image.open(io.BytesIO(result.thumbnail)) as thumb:
        assert thumb.format == FORMAT_OF[content_type]
        assert thumb.size == thumbnail_size(1000, 600) == (THUMBNAIL_MAX_SIDE, 192)


def test_small_images_are_not_enlarged(inspector: PillowInspector) -> None:
    result = inspector.inspect(image_bytes("image/png", (40, 90)), "image/png")
    assert isinstance(result, Accepted)
    with Image.open(io.BytesIO(result.thumbnail)) as thumb:
        assert thumb.size == (40, 90)


def test_random_bytes_declared_png_are_rejected(inspector: PillowInspector) -> None:
    result = inspector.inspect(os.urandom(4096), "image/png")
    assert isinstance(result, Rejected) and "not a readable image" in result.reason


def test_a_png_declared_as_jpeg_is_rejected(inspector: PillowInspector) -> None:
    result = inspector.inspect(image_bytes("image/png"), "image/jpeg")
    assert isinstance(result, Rejected) and "PNG" in result.reason and "image/jpeg" in result.reason


def test_a_decompression_bomb_is_rejected_before_decoding(inspector: PillowInspector) -> None:
    result = inspector.inspect(png_header_only(100_000, 100_000), "image/png")
    assert isinstance(result, Rejected) and "pixels" in result.reason


@pytest.mark.parametrize("side", [40, 50])
def test_more_pixels_than_the_limit_is_rejected_at_warning_level_too(side: int) -> None:
    # 40x40 = 1600 is past the limit but below Pillow's error level (2x); 50x50 = 2500 is past both.
    result = PillowInspector(max_pixels=1000).inspect(image_bytes("image/png", (side, side)), "image/png")
    assert isinstance(result, Rejected) and "1000 pixels" in result.reason


def test_a_truncated_image_is_rejected(inspector: PillowInspector) -> None:
    data = image_bytes("image/jpeg", (800, 600), quality=95)
    result = inspector.inspect(data[: len(data) // 2], "image/jpeg")
    assert isinstance(result, Rejected) and "damaged" in result.reason


def test_a_png_with_a_broken_checksum_is_rejected(inspector: PillowInspector) -> None:
    data = bytearray(image_bytes("image/png", (64, 64)))
    data[-20] ^= 0xFF
    assert isinstance(inspector.inspect(bytes(data), "image/png"), Rejected)


def test_exif_rotation_is_applied_to_size_and_thumbnail(inspector: PillowInspector) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    data = image_bytes("image/jpeg", (1000, 500), exif=exif.tobytes())
    result = inspector.inspect(data, "image/jpeg")
    assert isinstance(result, Accepted) and (result.width, result.height) == (500, 1000)
    with Image.open(io.BytesIO(result.thumbnail)) as thumb:
        assert thumb.size == (160, 320)


def test_an_unaccepted_declared_type_is_rejected(inspector: PillowInspector) -> None:
    assert isinstance(inspector.inspect(image_bytes("image/png"), "image/gif"), Rejected)


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png", "image/webp"])
def test_the_served_original_has_no_gps_exif_xmp_or_trailing_bytes(
    inspector: PillowInspector, content_type: str
) -> None:
    """Guards: the served original was the upload byte for byte, so a phone photo published the shop's (or the
    admin's home) GPS position, the camera's serial number, XMP and whatever was appended after the image."""
    upload = tagged_upload(content_type)
    with Image.open(io.BytesIO(upload)) as tagged:  # the upload really carries them
        assert tagged.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert all(secret in upload for secret in (b"SECRET-TRAILER", b"SECRET-CAMERA"))

    result = inspector.inspect(upload, content_type)

    assert isinstance(result, Accepted) and (result.width, result.height) == (600, 400)
    assert [s for s in SECRETS if s in result.original] == []
    assert b"Exif\x00\x00" not in result.original and b"xmpmeta" not in result.original
    with Image.open(io.BytesIO(result.original)) as served:
        assert served.format == FORMAT_OF[content_type] and served.size == (600, 400)
        assert dict(served.getexif()) == {} and "xmp" not in served.info
        assert served.getpixel((450, 300)) == pytest.approx((200, 120, 40), abs=6)  # the pixels are kept


def test_a_jpeg_original_ends_at_its_end_of_image_marker(inspector: PillowInspector) -> None:
    """Guards: bytes appended after a JPEG's EOI (a zip, a script) were served with it."""
    result = inspector.inspect(tagged_upload("image/jpeg"), "image/jpeg")
    assert isinstance(result, Accepted)
    assert result.original.endswith(b"\xff\xd9") and result.original.count(b"\xff\xd9") == 1


def test_a_rotated_original_is_served_upright_without_its_orientation_tag(inspector: PillowInspector) -> None:
    """Guards: dropping EXIF also drops the orientation browsers turn the picture by; the pixels must be turned
    instead, or a portrait photo shows on its side."""
    result = inspector.inspect(tagged_upload("image/jpeg", (1000, 500), orientation=6), "image/jpeg")
    assert isinstance(result, Accepted) and (result.width, result.height) == (500, 1000)
    with Image.open(io.BytesIO(result.original)) as served:
        assert served.size == (500, 1000) and ExifTags.Base.Orientation not in served.getexif()
