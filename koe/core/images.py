"""The image pipeline: every upload is decoded, checked, re-encoded and renamed by the server."""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

try:  # HEIC/HEIF photos from phones, when the wheel for this platform is installed.
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:  # pragma: no cover
    pass

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "HEIF", "MPO"}
#: Name → (longest side, square crop).
VARIANTS = {
    "display": (1600, False),
    "thumb": (480, False),
}
AVATAR_VARIANTS = {"avatar": (256, True), "avatar_small": (64, True)}


@dataclass(frozen=True)
class StoredImage:
    key: str
    width: int
    height: int
    names: dict[str, str]  # variant → storage name

    def url(self, variant: str) -> str:
        return default_storage.url(self.names[variant])


def _open_checked(upload) -> Image.Image:
    size = getattr(upload, "size", None)
    if size is not None and size > settings.KOE_MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("This file is too large. The limit is %(mb)d MB."),
            code="too_large",
            params={"mb": settings.KOE_MAX_UPLOAD_BYTES // (1024 * 1024)},
        )
    if size == 0:
        raise ValidationError(_("This file is empty."), code="empty")
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)
            if image.format not in ACCEPTED_FORMATS:
                raise ValidationError(
                    _("Please upload a JPEG, PNG, WebP, GIF or HEIC image."), code="format"
                )
            if image.width * image.height > settings.KOE_MAX_IMAGE_PIXELS:
                raise ValidationError(_("This image has too many pixels."), code="pixels")
            image.seek(0)  # the first frame of an animation
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ValidationError(_("This image has too many pixels."), code="pixels") from e
    except UnidentifiedImageError as e:
        raise ValidationError(_("This file is not an image we can read."), code="invalid") from e
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        raise ValidationError(_("This image is damaged or incomplete."), code="truncated") from e
    return image


def _normalise(image: Image.Image) -> Image.Image:
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    return image.convert("RGBA" if has_alpha else "RGB")


def _resize(image: Image.Image, longest: int, square: bool) -> Image.Image:
    if square:
        return ImageOps.fit(image, (longest, longest), Image.Resampling.LANCZOS)
    copy = image.copy()
    copy.thumbnail((longest, longest), Image.Resampling.LANCZOS)
    return copy


def _encode(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # A fresh encode carries no EXIF, GPS or other metadata of the original.
    image.save(out, format="WEBP", quality=82, method=4)
    return out.getvalue()


def validate_image(upload) -> None:
    """Raise ValidationError when the upload is not an image Koe accepts."""
    _open_checked(upload)
    upload.seek(0)


def store_image(upload, folder: str, variants: dict | None = None) -> StoredImage:
    """Check and re-encode an upload; save each variant under a server-made name."""
    image = _normalise(_open_checked(upload))
    key = uuid.uuid4().hex
    stamp = timezone.now().strftime("%Y/%m")
    names = {}
    for variant, (longest, square) in (variants or VARIANTS).items():
        data = _encode(_resize(image, longest, square))
        name = f"{folder}/{stamp}/{key}-{variant}.webp"
        names[variant] = default_storage.save(name, ContentFile(data))
    return StoredImage(key=key, width=image.width, height=image.height, names=names)


def delete_files(names) -> None:
    for name in names:
        if name:
            default_storage.delete(name)
