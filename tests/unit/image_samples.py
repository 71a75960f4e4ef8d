"""Uploads as cameras and editors write them: metadata a shop must not publish (for the inspector and processor
tests)."""

from __future__ import annotations

import io

from PIL import ExifTags, Image, PngImagePlugin

from buynest.images.domain import FORMATS

SECRETS = (b"SECRET-XMP", b"SECRET-COMMENT", b"SECRET-TRAILER", b"SECRET-TEXT", b"SECRET-CAMERA")


def camera_exif(orientation: int = 1) -> bytes:
    """EXIF as a phone writes it: the shop's GPS position, the camera's serial number, an orientation."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.BodySerialNumber] = "SECRET-CAMERA"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (37.0, 33.0, 58.2)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (126.0, 58.0, 40.6)
    return exif.tobytes()


def tagged_upload(content_type: str, size: tuple[int, int] = (600, 400), orientation: int = 1) -> bytes:
    """An upload carrying EXIF with GPS tags, XMP, a comment or text chunk, and bytes after the image's end."""
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">SECRET-XMP</x:xmpmeta>'
    save: dict[str, object] = {"exif": camera_exif(orientation)}
    if content_type == "image/jpeg":
        save |= {"xmp": xmp, "comment": b"SECRET-COMMENT"}
    elif content_type == "image/png":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "SECRET-TEXT")
        text.add_itxt("XML:com.adobe.xmp", xmp.decode())
        save |= {"pnginfo": text}
    else:
        save |= {"xmp": xmp}
    picture = Image.new("RGB", size, (200, 120, 40))
    picture.paste((20, 90, 200), (0, 0, size[0] // 2, size[1] // 2))
    out = io.BytesIO()
    picture.save(out, FORMATS[content_type], **save)
    return out.getvalue() + b"SECRET-TRAILER"
