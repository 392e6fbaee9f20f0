"""Uploaded files are checked by what they contain, never by their name or the browser's
content type: a renamed executable is refused however it is called, and a file is stored
under the extension of what it is (`invoice.html` starting with `%PDF-` becomes
`invoice.pdf`), so it is never served as HTML.

Images are refused by their pixel count, read from the header before any pixel is
decoded: a 74-byte PNG can claim 100000 × 100000 pixels, and a 236 KB one of 9000 × 9000
decodes to a quarter of a gigabyte. `UPLOAD_MAX_PIXELS` is also Pillow's own bomb limit
(`Image.MAX_IMAGE_PIXELS`, set in `shop.core.apps`), so nothing else opens larger ones.
"""

from pathlib import PurePath

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image

MAX_BYTES = 10 * 1024 * 1024
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PDF = "application/pdf"
EXTENSIONS = {PDF: ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}


def _check_bytes(upload: UploadedFile) -> None:
    if upload.size > MAX_BYTES:
        raise ValidationError(
            _("%(name)s is larger than 10 MB.") % {"name": upload.name}, code="too_large"
        )


def _image_type(upload: UploadedFile) -> str | None:
    """The content type of a JPEG, PNG or WebP upload, None for anything else; an image
    of more than UPLOAD_MAX_PIXELS is refused from its header, never decoded."""
    limit = settings.UPLOAD_MAX_PIXELS
    upload.seek(0)
    try:
        with Image.open(upload, formats=list(IMAGE_FORMATS)) as image:
            kind, (width, height) = image.format, image.size
            if width * height <= limit:
                image.verify()  # the structure and checksums; decodes nothing
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        width = height = limit + 1  # Pillow's own limit is UPLOAD_MAX_PIXELS too
    except Exception:  # a malformed file can make Pillow's parsers raise almost anything
        return None
    finally:
        upload.seek(0)
    if width * height > limit:
        raise ValidationError(
            _(
                "%(name)s has more than %(megapixels)s million pixels: please upload a smaller image."
            )
            % {"name": upload.name, "megapixels": f"{limit / 1_000_000:g}"},
            code="too_many_pixels",
        )
    return IMAGE_FORMATS.get(kind)


def sniff_document(upload: UploadedFile) -> str:
    """The real content type of an image or PDF upload, or a ValidationError for the person."""
    _check_bytes(upload)
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    kind = _image_type(upload)
    if kind is None:
        raise ValidationError(
            _("%(name)s is not an image (JPEG, PNG, WebP) or a PDF.") % {"name": upload.name},
            code="bad_type",
        )
    return kind


def sniff_photo(upload: UploadedFile) -> str:
    """The real content type of a photo upload (JPEG, PNG, WebP), or a ValidationError."""
    _check_bytes(upload)
    kind = _image_type(upload)
    if kind is None:
        raise ValidationError(
            _("%(name)s is not a JPEG, PNG or WebP image.") % {"name": upload.name},
            code="bad_type",
        )
    return kind


def stored_name(filename: str, content_type: str) -> str:
    """`filename` with the extension of its sniffed content type: `invoice.html` → `.pdf`."""
    return f"{PurePath(filename).stem or 'upload'}{EXTENSIONS[content_type]}"


class PhotoField(forms.FileField):
    """A product photo: JPEG, PNG or WebP by content, at most 10 MB and UPLOAD_MAX_PIXELS
    pixels (refused from the header, before decoding), named by what it is."""

    widget = forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data: object, initial: object = None) -> object:
        upload = super().clean(data, initial)
        if isinstance(upload, UploadedFile):  # a new upload, not the photo already stored
            upload.name = stored_name(upload.name, sniff_photo(upload))
        return upload
