"""The ImageInspector on Pillow: are these bytes really an image of the declared type, how big is it, and its
thumbnail. Only the processor imports this module; Pillow ships in its own layer so that no other function pays
for it at cold start."""

from __future__ import annotations

import io
import warnings

from PIL import ExifTags, Image, ImageFile, ImageOps, UnidentifiedImageError

from buynest.images.domain import FORMATS, MAX_PIXELS, THUMBNAIL_MAX_SIDE, Accepted, Inspection, Rejected

_SAVE_OPTIONS: dict[str, dict[str, object]] = {
    "JPEG": {"quality": 85, "optimize": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 80},
}
# An original that must be encoded again (EXIF-rotated JPEG, any PNG or WebP): close to the upload's quality.
_ORIGINAL_OPTIONS: dict[str, dict[str, object]] = {
    "JPEG": {"quality": 92, "comment": b""},
    "PNG": {},
    "WEBP": {"quality": 90},
}


class PillowInspector:
    """Decodes with the declared type's decoder only, after checking the header's pixel count (decompression bombs
    are refused before any pixel is decoded; Pillow's own bomb warning counts as an error too)."""

    def __init__(self, max_pixels: int = MAX_PIXELS, thumbnail_side: int = THUMBNAIL_MAX_SIDE) -> None:
        self.max_pixels = max_pixels
        self.thumbnail_side = thumbnail_side

    def inspect(self, data: bytes, content_type: str) -> Inspection:
        expected = FORMATS.get(content_type)
        if expected is None:
            return Rejected(f"{content_type!r} is not an accepted image type")
        Image.MAX_IMAGE_PIXELS = self.max_pixels
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                return self._inspect(data, expected, content_type)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            return Rejected(f"the image has more than {self.max_pixels} pixels")
        except UnidentifiedImageError:
            return Rejected(f"the upload is not a readable image (declared {content_type})")
        except MemoryError:
            raise
        except Exception as exc:  # any decoder failure on untrusted bytes means a broken image
            return Rejected(f"the {expected} data is damaged ({type(exc).__name__}: {str(exc)[:200]})")

    def _inspect(self, data: bytes, expected: str, content_type: str) -> Inspection:
        with Image.open(io.BytesIO(data), formats=list(FORMATS.values())) as probe:
            if probe.format != expected:
                return Rejected(f"the upload is a {probe.format} image, not the declared {content_type}")
            width, height = probe.size
            if width < 1 or height < 1 or width * height > self.max_pixels:
                return Rejected(f"the image is {width}x{height} pixels; at most {self.max_pixels} pixels are accepted")
            probe.verify()
        with Image.open(io.BytesIO(data), formats=[expected]) as image:
            upright = ImageOps.exif_transpose(image)
            original = _clean_original(image, upright, expected)
            upright.thumbnail((self.thumbnail_side, self.thumbnail_side))
            if expected == "JPEG" and upright.mode not in ("RGB", "L"):
                upright = upright.convert("RGB")
            out = io.BytesIO()
            upright.save(out, expected, **_SAVE_OPTIONS[expected])
        width, height = Image.open(io.BytesIO(original)).size
        return Accepted(
            width=width, height=height, original=original, thumbnail=out.getvalue(), thumbnail_type=content_type
        )


def _clean_original(source: ImageFile.ImageFile, upright: Image.Image, fmt: str) -> bytes:
    """The original as served: the pixels turned upright, in the same format, with nothing but the pixels and
    the colour profile. EXIF (GPS position, camera serial), XMP, comments, text chunks and any bytes after the
    image's end are not carried over, because only the decoded pixels are encoded again. A JPEG that needs no
    turning keeps its own quantisation tables and subsampling (no second generation of compression loss)."""
    options: dict[str, object] = {"exif": b"", "icc_profile": source.info.get("icc_profile")}
    out = io.BytesIO()
    if fmt == "JPEG" and upright.size == source.size and source.getexif().get(ExifTags.Base.Orientation, 1) == 1:
        source.save(out, fmt, quality="keep", comment=b"", **options)
    else:
        upright.save(out, fmt, **_ORIGINAL_OPTIONS[fmt], **options)
    return out.getvalue()
