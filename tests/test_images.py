"""The image pipeline through the editor's upload endpoint."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from koe.blogs.models import Image
from tests.conftest import image_bytes, publish


@pytest.mark.parametrize(
    "fmt,size",
    [
        ("JPEG", (3000, 2000)),
        ("PNG", (300, 200)),
        ("WEBP", (800, 800)),
        ("GIF", (40, 40)),
        ("HEIF", (64, 48)),
    ],
)
def test_every_accepted_format_is_reencoded(alice_client, fmt, size):
    raw = image_bytes(fmt, size)
    upload = SimpleUploadedFile(f"photo.{fmt.lower()}", raw, content_type="image/x")
    response = alice_client.post("/dashboard/images/", {"file": upload, "alt": "A view"})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["markdown"] == f"![A view]({data['url']})"
    image = Image.objects.get()
    for name, longest in ((image.display, 1600), (image.thumb, 480)):
        assert name.endswith(".webp") and "photo" not in name
        with default_storage.open(name) as f, PILImage.open(f) as stored:
            assert stored.format == "WEBP"
            assert max(stored.size) == min(longest, max(size))


def test_orientation_is_applied_and_exif_dropped(alice_client):
    exif = PILImage.Exif()
    exif[0x0112] = 6  # rotated 90°: the stored image must be upright
    exif[0x010F] = "SecretCam"
    raw = io.BytesIO()
    PILImage.new("RGB", (200, 100), "red").save(raw, format="JPEG", exif=exif)
    upload = SimpleUploadedFile("p.jpg", raw.getvalue(), content_type="image/jpeg")
    assert alice_client.post("/dashboard/images/", {"file": upload}).status_code == 201
    with default_storage.open(Image.objects.get().display) as f, PILImage.open(f) as stored:
        assert stored.size == (100, 200)
        assert not stored.getexif()


def test_first_image_becomes_the_cover_and_og_image(alice_client, alice, client):
    upload = SimpleUploadedFile("p.png", image_bytes(size=(1200, 630)), content_type="image/png")
    url = alice_client.post("/dashboard/images/", {"file": upload}).json()["url"]
    post = publish(alice, body=f"Look:\n\n![view]({url})")
    assert post.cover == Image.objects.get()
    page = client.get(post.get_absolute_url()).content.decode()
    assert f'property="og:image" content="http://127.0.0.1:8000{url}"' in page
    assert 'content="summary_large_image"' in page
    assert client.get(url).status_code == 200


def test_outside_images_are_dropped_from_posts(alice):
    post = publish(alice, body="![x](https://tracker.example/pixel.gif)")
    assert "tracker.example" not in post.body_html


def test_uploads_need_an_account(client, db):
    upload = SimpleUploadedFile("p.png", image_bytes(), content_type="image/png")
    response = client.post("/dashboard/images/", {"file": upload})
    assert response.status_code == 401 and "log in" in response.json()["error"]
    assert not Image.objects.exists()
