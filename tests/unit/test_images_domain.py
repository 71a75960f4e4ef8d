"""The images service's pure rules: what may be uploaded, where objects live, how big a thumbnail is."""

from __future__ import annotations

import pytest

from buynest.images.domain import (
    MAX_IMAGE_BYTES,
    TooLarge,
    UnsupportedMediaType,
    check_upload,
    object_keys,
    parse_upload_key,
    product_prefixes,
    thumbnail_size,
)


@pytest.mark.parametrize(
    ("declared", "normalised"),
    [
        ("image/jpeg", "image/jpeg"),
        ("image/png", "image/png"),
        ("image/webp", "image/webp"),
        (" Image/PNG ", "image/png"),
    ],
)
def test_accepts_the_three_image_types(declared: str, normalised: str) -> None:
    assert check_upload(declared, 1000) == normalised


@pytest.mark.parametrize(
    "declared", ["image/gif", "image/svg+xml", "application/pdf", "image/png; charset=utf-8", "image/jpg", "png", ""]
)
def test_refuses_other_types_naming_the_field(declared: str) -> None:
    with pytest.raises(UnsupportedMediaType) as exc:
        check_upload(declared, 1000)
    assert exc.value.code == "UNSUPPORTED_MEDIA_TYPE" and exc.value.message.startswith("contentType")


def test_size_limit_is_five_mib_inclusive() -> None:
    assert MAX_IMAGE_BYTES == 5 * 1024 * 1024
    assert check_upload("image/png", MAX_IMAGE_BYTES) == "image/png"
    with pytest.raises(TooLarge) as exc:
        check_upload("image/png", MAX_IMAGE_BYTES + 1)
    assert exc.value.code == "TOO_LARGE" and exc.value.message.startswith("contentLength")


def test_the_type_is_checked_before_the_size() -> None:
    with pytest.raises(UnsupportedMediaType):
        check_upload("image/gif", MAX_IMAGE_BYTES * 10)


def test_object_layout_and_upload_keys() -> None:
    assert object_keys("P1", "I1") == ("originals/P1/I1", "images/P1/I1", "thumbnails/P1/I1")
    assert product_prefixes("P1") == ("originals/P1/", "images/P1/", "thumbnails/P1/")
    assert parse_upload_key("originals/P1/I1") == ("P1", "I1")
    for other in ("images/P1/I1", "originals/P1", "originals/P1/I1/x", "originals//I1", "originals/P 1/I1"):
        assert parse_upload_key(other) is None


@pytest.mark.parametrize(
    ("size", "thumb"),
    [
        ((1000, 500), (320, 160)),
        ((500, 1000), (160, 320)),
        ((320, 320), (320, 320)),
        ((100, 50), (100, 50)),
        ((5000, 3), (320, 1)),
    ],
)
def test_thumbnail_keeps_the_aspect_ratio_within_320_px(size: tuple[int, int], thumb: tuple[int, int]) -> None:
    assert thumbnail_size(*size) == thumb
