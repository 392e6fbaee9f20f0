"""Uploaded documents are checked by what they contain, never by their name or the browser's
content type: a renamed executable is refused however it is called."""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


def sniff_document(upload: UploadedFile) -> str:
    """The real content type of an image or PDF upload, or a ValidationError for the person."""
    if upload.size > MAX_BYTES:
        raise ValidationError(
            _("%(name)s is larger than 10 MB.") % {"name": upload.name}, code="too_large"
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    try:
        with Image.open(upload) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        kind = None
    finally:
        upload.seek(0)
    if kind in IMAGE_FORMATS:
        return IMAGE_FORMATS[kind]
    raise ValidationError(
        _("%(name)s is not an image (JPEG, PNG, WebP) or a PDF.") % {"name": upload.name},
        code="bad_type",
    )
