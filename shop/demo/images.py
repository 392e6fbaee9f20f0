"""The demo pictures: 30 generated JPEGs (and thumbnails) that every demo product shares."""

import colorsys
import io
import random

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw

from shop.catalogue import services as catalogue

from . import demo_data

IMAGE_SIZE = 900
IMAGE_DIR = "demo"


def image_name(number: int) -> str:
    return f"{IMAGE_DIR}/demo-{number:02d}.jpg"


def thumbnail_name(number: int) -> str:
    return f"{IMAGE_DIR}/thumbs/demo-{number:02d}.jpg"


def _rgb(hue: float, saturation: float, value: float) -> tuple[int, int, int]:
    red, green, blue = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(red * 255), round(green * 255), round(blue * 255)


def demo_image_bytes(number: int) -> bytes:
    """A 900×900 JPEG: a two-colour gradient with soft translucent shapes, seeded by `number`.

    Hues walk round the colour wheel so the 30 pictures look different from one another.
    """
    rng = random.Random(f"demo-image-{number}")
    size = IMAGE_SIZE
    hue = number / demo_data.IMAGE_COUNT
    light = _rgb(hue, rng.uniform(0.25, 0.45), rng.uniform(0.92, 0.99))
    deep = _rgb(hue + rng.uniform(0.06, 0.18), rng.uniform(0.55, 0.8), rng.uniform(0.65, 0.85))
    accent = _rgb(hue + 0.5, rng.uniform(0.4, 0.7), rng.uniform(0.8, 0.95))

    gradient = Image.linear_gradient("L").resize((size, size)).rotate(rng.choice((0, 90, 180, 270)))
    canvas = Image.composite(
        Image.new("RGB", (size, size), deep), Image.new("RGB", (size, size), light), gradient
    ).convert("RGBA")

    def blend(shape: str, box: tuple[int, int, int, int], colour: tuple[int, ...]) -> None:
        nonlocal canvas
        layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        draw = ImageDraw.Draw(layer)
        if shape == "ellipse":
            draw.ellipse(box, fill=colour)
        else:
            draw.rounded_rectangle(box, radius=(box[2] - box[0]) // 5, fill=colour)
        canvas = Image.alpha_composite(canvas, layer)

    for _ in range(rng.randint(4, 7)):
        radius = rng.randint(60, 240)
        x, y = rng.randint(0, size), rng.randint(0, size)
        colour = (*rng.choice(((255, 255, 255), light, deep, accent)), rng.randint(50, 130))
        shape = "ellipse" if rng.random() < 0.6 else "rectangle"
        blend(shape, (x - radius, y - radius, x + radius, y + round(radius * 0.8)), colour)
    # A pale disc in the middle, where a product photo would put the product.
    centre = size // 2
    radius = rng.randint(220, 290)
    blend(
        "ellipse",
        (centre - radius, centre - radius, centre + radius, centre + radius),
        (255, 255, 255, 150),
    )

    out = io.BytesIO()
    canvas.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()


def ensure_demo_images() -> int:
    """Write the shared demo pictures and their thumbnails, only those missing; return how many.

    Products point at these few files instead of each getting its own copy, which keeps
    10,000 products to 60 files and seeding free of image encoding.
    """
    written = 0
    for number in range(demo_data.IMAGE_COUNT):
        name, thumb = image_name(number), thumbnail_name(number)
        data: bytes | None = None
        if not default_storage.exists(name):
            data = demo_image_bytes(number)
            default_storage.save(name, ContentFile(data))
            written += 1
        if not default_storage.exists(thumb):
            if data is None:
                with default_storage.open(name, "rb") as existing:
                    data = existing.read()
            default_storage.save(thumb, ContentFile(catalogue.thumbnail_for(data)))
            written += 1
    return written
