"""Upload checks (merchants.uploads): by content, by bytes, and by pixels before decoding."""

import io
import re
from collections.abc import Iterator

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image, ImageFile

from merchants.uploads import sniff_document, sniff_photo, stored_name
from tests.factories import jpeg_bytes
from tests.uploads import png_claiming

TOO_MANY = "has more than 25 million pixels: please upload a smaller image."


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def upload(content: bytes, name: str = "licence.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, "image/png")


def image_bytes(size: tuple[int, int], kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, format=kind)
    return out.getvalue()


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The sizes of the images Pillow decodes meanwhile (none, when a check works)."""
    sizes: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def recording_load(image: ImageFile.ImageFile) -> object:
        sizes.append(image.size)
        return load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", recording_load)
    return sizes


@pytest.mark.parametrize(
    "size",
    [(100_000, 100_000), (9000, 9000), (6000, 5000), (5001, 5000)],
    ids=["10-gigapixels", "81-megapixels", "30-megapixels", "just-over"],
)
@pytest.mark.parametrize("sniff", [sniff_document, sniff_photo])
def test_an_image_claiming_too_many_pixels_is_refused_from_its_header_undecoded(
    sniff, size: tuple[int, int], decoded: list
) -> None:
    content = png_claiming(*size)
    assert len(content) < 100
    with pytest.raises(ValidationError, match=re.escape(f"licence.png {TOO_MANY}")):
        sniff(upload(content))
    assert decoded == []


def test_the_pixel_limit_is_the_setting_and_an_image_at_it_passes(settings) -> None:
    settings.UPLOAD_MAX_PIXELS = 1200
    assert sniff_photo(upload(image_bytes((40, 30)))) == "image/png"
    with pytest.raises(ValidationError, match=re.escape("more than 0.0012 million pixels")):
        sniff_photo(upload(image_bytes((41, 30))))


def test_pillow_refuses_to_open_any_image_over_twice_the_limit_wherever_it_comes_from() -> None:
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(png_claiming(10_000, 5001)))


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"%PDF-1.4\n<html><script>alert(1)</script></html>", "application/pdf"),
        (image_bytes((8, 8)), "image/png"),
        (jpeg_bytes(), "image/jpeg"),
        (image_bytes((8, 8), "WEBP"), "image/webp"),
    ],
    ids=["pdf", "png", "jpeg", "webp"],
)
def test_a_document_is_named_by_what_it_contains(content: bytes, kind: str) -> None:
    sniffed = sniff_document(upload(content, "invoice.html"))
    assert sniffed == kind
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}
    assert stored_name("invoice.html", sniffed) == f"invoice.{extension.get(kind, 'webp')}"


@pytest.mark.parametrize("kind", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_refused(kind: str) -> None:
    with pytest.raises(
        ValidationError, match=re.escape("photo.png is not a JPEG, PNG or WebP image.")
    ):
        sniff_photo(upload(image_bytes((8, 8), kind), "photo.png"))


def test_a_pdf_is_not_a_photo() -> None:
    with pytest.raises(ValidationError, match="is not a JPEG, PNG or WebP image"):
        sniff_photo(upload(b"%PDF-1.4\n%%EOF\n", "photo.jpg"))


def test_a_photo_over_10_mb_is_refused() -> None:
    big = image_bytes((8, 8)) + b"\x00" * (10 * 1024 * 1024)
    with pytest.raises(ValidationError, match=re.escape("photo.png is larger than 10 MB.")):
        sniff_photo(upload(big, "photo.png"))
