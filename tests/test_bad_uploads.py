"""Bad uploads get a clear 4xx and leave nothing: no row and no file."""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from koe.blogs.models import Image
from tests.bad_input import (  # noqa: F401 - fixtures are found by name
    NUL_MESSAGE,
    _signed_in,
    assert_refused,
    assert_styled,
    blog_form,
    category,
    post,
    post_form,
    profile_form,
    signup_form,
    snapshot,
    text_of,
    unchanged,
)
from tests.conftest import image_bytes


def _png(width: int, height: int, idat: bytes = b"") -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def _bomb() -> bytes:
    """A PNG whose header claims 20000 × 20000 pixels; the data is a few bytes of zeros."""
    return _png(20_000, 20_000, zlib.compress(b"\x00" * 20_001 * 8, 9))


def _gif_with_two_frames() -> bytes:
    frames = [PILImage.new("RGB", (40, 30), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


def _jpeg_with_gps() -> bytes:
    image = PILImage.new("RGB", (64, 48), (10, 200, 30))
    exif = PILImage.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (35.0, 41.0, 22.0)
    gps[3] = "E"
    gps[4] = (139.0, 41.0, 30.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data = out.getvalue()
    assert PILImage.open(io.BytesIO(data)).getexif().get_ifd(0x8825), "the fixture has GPS"
    return data


BAD_UPLOADS = {
    "text renamed .png": (b"just some words, not a picture\n" * 10, "not an image we can read"),
    "empty file": (b"", "The submitted file is empty."),
    "truncated PNG": (image_bytes("PNG", size=(300, 200))[:200], "damaged or incomplete"),
    "truncated JPEG": (image_bytes("JPEG", size=(300, 200))[:300], "damaged or incomplete"),
    "PNG without data": (_png(10, 10), "damaged or incomplete"),
    "decompression bomb": (_bomb(), "too many pixels"),
    "SVG": (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "not an image"),
    "HTML": (b"<html><script>alert(1)</script></html>", "not an image we can read"),
}
UPLOAD_ENDPOINTS = {
    "editor image": ("/dashboard/images/", "file", {"alt": ""}),
    "avatar": ("/accounts/profile/", "avatar_upload", profile_form()),
    "blog header": ("/dashboard/blog/", "header_upload", blog_form()),
}


@pytest.mark.parametrize("endpoint", UPLOAD_ENDPOINTS)
@pytest.mark.parametrize("kind", BAD_UPLOADS)
def test_bad_uploads_are_refused_and_leave_nothing(alice_client, unchanged, endpoint, kind):
    path, field, data = UPLOAD_ENDPOINTS[endpoint]
    content, message = BAD_UPLOADS[kind]
    upload = SimpleUploadedFile("picture.png", content, content_type="image/png")
    unchanged()
    assert_refused(alice_client.post(path, {**data, field: upload}), message)
    unchanged()


@pytest.mark.parametrize("endpoint", UPLOAD_ENDPOINTS)
def test_uploads_over_the_size_limit_are_refused(alice_client, settings, unchanged, endpoint):
    settings.KOE_MAX_UPLOAD_BYTES = 1024 * 1024
    path, field, data = UPLOAD_ENDPOINTS[endpoint]
    content = image_bytes("PNG") + b"\x00" * (1024 * 1024)
    upload = SimpleUploadedFile("big.png", content, content_type="image/png")
    unchanged()
    assert_refused(alice_client.post(path, {**data, field: upload}), "The limit is 1 MB.")
    unchanged()


def test_images_with_more_pixels_than_allowed_are_refused(alice_client, settings, unchanged):
    settings.KOE_MAX_IMAGE_PIXELS = 1000
    upload = SimpleUploadedFile("wide.png", image_bytes("PNG", size=(100, 20)))
    unchanged()
    assert_refused(alice_client.post("/dashboard/images/", {"file": upload}), "too many pixels")
    unchanged()


def _stored(settings, name: str) -> PILImage.Image:
    return PILImage.open(Path(settings.MEDIA_ROOT) / name)


def test_a_gif_keeps_its_first_frame_only(alice_client, alice, settings):
    upload = SimpleUploadedFile("moving.gif", _gif_with_two_frames(), content_type="image/gif")
    response = alice_client.post("/dashboard/images/", {"file": upload})
    assert response.status_code == 201, text_of(response)
    image = Image.objects.get(owner=alice)
    for name in image.files:
        stored = _stored(settings, name)
        assert stored.format == "WEBP"
        assert getattr(stored, "n_frames", 1) == 1
        red, green, blue = stored.convert("RGB").getpixel((stored.width // 2, stored.height // 2))
        assert red > 200 and blue < 60, "not the first frame"


def test_exif_and_gps_are_gone_from_stored_images(alice_client, alice, settings):
    gps = _jpeg_with_gps()
    response = alice_client.post(
        "/dashboard/images/", {"file": SimpleUploadedFile("trip.jpg", gps, "image/jpeg")}
    )
    assert response.status_code == 201
    profile = profile_form(avatar_upload=SimpleUploadedFile("me.jpg", gps, "image/jpeg"))
    assert alice_client.post("/accounts/profile/", profile).status_code == 302
    header = blog_form(header_upload=SimpleUploadedFile("sky.jpg", gps, "image/jpeg"))
    assert alice_client.post("/dashboard/blog/", header).status_code == 302
    alice.refresh_from_db()
    image = Image.objects.get(owner=alice)
    names = [*image.files, alice.avatar, alice.avatar_small, alice.blog.header_image]
    assert all(names)
    for name in names:
        stored = _stored(settings, name)
        assert len(stored.getexif()) == 0, name
        assert "exif" not in stored.info and "xmp" not in stored.info, name
        assert b"PhoneMaker" not in (Path(settings.MEDIA_ROOT) / name).read_bytes()


def test_stored_names_are_made_by_the_server(alice_client, alice, settings):
    upload = SimpleUploadedFile(
        "../../evil<script>.php.png", image_bytes(), content_type="image/png"
    )
    response = alice_client.post("/dashboard/images/", {"file": upload})
    assert response.status_code == 201
    image = Image.objects.get(owner=alice)
    for name in image.files:
        assert re.fullmatch(r"images/\d{4}/\d{2}/[0-9a-f]{32}-(display|thumb)\.webp", name), name
    files = [p.name for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    assert len(files) == 2 and not any("evil" in f or "php" in f for f in files)
    assert "evil" not in response.json()["url"]
