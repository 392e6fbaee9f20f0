"""Writes for the catalogue. Views, admin, API and seeding all go through these."""

import io
from collections.abc import Iterable
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, ImageOps

from merchants.compliance import check_listing
from merchants.uploads import sniff_photo, stored_name
from shop.core import page_cache
from shop.core.errors import DomainError
from shop.webhooks import events

from . import search
from .models import Product, ProductImage, Sku, StockRecord

THUMBNAIL_SIZE = (480, 480)


def product_search_index_refresh(*, products: Iterable[Product]) -> None:
    """Recompute the full-text vector of `products` (title, description, category, merchant)."""
    if not search.uses_full_text():
        return
    batch = []
    for product in products:
        body = " ".join(
            [
                product.description,
                product.description_en,
                product.category.name,
                product.category.name_en,
                product.merchant.name,
                product.merchant.name_en,
            ]
        )
        product.search_vector = search.vector_for(
            title=f"{product.title} {product.title_en}", body=body
        )
        batch.append(product)
    Product.objects.bulk_update(batch, ["search_vector"], batch_size=500)


@transaction.atomic
def product_save(*, product: Product) -> Product:
    product.full_clean(exclude=["search_vector"])
    product.save()
    product_search_index_refresh(products=[product])
    return product


@transaction.atomic
def sku_save(*, sku: Sku, stock: int | None = None) -> Sku:
    """Save a SKU; a new SKU always gets its stock record."""
    sku.full_clean()
    sku.save()
    StockRecord.objects.get_or_create(sku=sku)
    if stock is not None:
        stock_set(sku=sku, quantity=stock)
    return sku


class NegativeStock(DomainError, ValueError):
    """A stock level below zero. Still a ValueError, as the check it replaces raised."""

    code = "negative-stock"
    status = 422
    field = "stock"


def stock_set(*, sku: Sku, quantity: int) -> None:
    """Set the absolute stock level (a merchant's count); negative levels are refused."""
    if quantity < 0:
        raise NegativeStock("Stock cannot be negative.")
    StockRecord.objects.update_or_create(sku=sku, defaults={"quantity": quantity})


def _thumbnail_bytes(source: Image.Image) -> bytes:
    """A JPEG of at most THUMBNAIL_SIZE. A JPEG is decoded at 1/2 to 1/8 of its size
    (`draft`) and others shrunk by whole factors first (`thumbnail` reduces before
    filtering); only the small result is turned upright and converted."""
    source.draft("RGB", THUMBNAIL_SIZE)
    image = source if source.mode in ("RGB", "RGBA", "L", "LA") else source.convert("RGB")
    image.thumbnail(THUMBNAIL_SIZE, Image.Resampling.LANCZOS)
    image = ImageOps.exif_transpose(image).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82, optimize=True, progressive=True)
    return out.getvalue()


@transaction.atomic
def product_image_add(
    *, product: Product, upload: UploadedFile, alt: str = "", position: int | None = None
) -> ProductImage:
    """Check a product photo by content (before Django reads its size), store it under
    the extension of what it is, and make its thumbnail now, once."""
    name = stored_name(PurePath(upload.name).name, sniff_photo(upload))
    if position is None:
        position = product.images.count()
    image = ProductImage(product=product, alt=alt, position=position)
    image.image.save(name, upload, save=False)
    return product_image_save(image=image)


def product_image_save(*, image: ProductImage) -> ProductImage:
    """Save an image row, making its thumbnail if the photo is new or changed. A new
    upload (the admin's, which its form checked first) is checked by content again
    (`sniff_photo`) and stored under the extension of what it is."""
    if image.image and not image.image._committed:  # an upload, not yet stored
        upload = image.image.file
        name = stored_name(PurePath(upload.name).name, sniff_photo(upload))
        image.image.save(name, upload, save=False)
    stem = PurePath(image.image.name).stem
    if not image.thumbnail or PurePath(image.thumbnail.name).stem != stem:
        image.image.open()
        with Image.open(image.image) as source:
            thumb = _thumbnail_bytes(source)
        image.thumbnail.save(f"{stem}.jpg", ContentFile(thumb), save=False)
    image.save()
    return image


def thumbnail_for(data: bytes) -> bytes:
    """The thumbnail bytes for an image (used when seeding shared demo images)."""
    with Image.open(io.BytesIO(data)) as source:
        return _thumbnail_bytes(source)


class ReviewError(DomainError):
    """A review step that does not apply to the product's current status."""

    code = "review-refused"


def product_compliance_findings(product: Product) -> list:
    return check_listing(
        {
            "title": product.title,
            "title_en": product.title_en,
            "description": product.description,
            "description_en": product.description_en,
        }
    )


@transaction.atomic
def product_submit(*, product: Product) -> list:
    """The merchant submits a draft (or a rejected or delisted product) for review.

    The compliance check runs now; a clean product goes live at once if the merchant
    allows it, otherwise an operator approves it. Returns the findings.
    """
    submittable = [Product.Status.DRAFT, Product.Status.REJECTED, Product.Status.DELISTED]
    findings = product_compliance_findings(product)
    auto = not findings and product.merchant.auto_list_clean_products
    target = Product.Status.LISTED if auto else Product.Status.PENDING_REVIEW
    if not Product.objects.filter(pk=product.pk, status__in=submittable).update(
        status=target, review_note=""
    ):
        raise ReviewError("Only a draft, rejected or delisted product can be submitted.")
    product.refresh_from_db()
    if auto:
        events.report(events.PRODUCT_APPROVED, [product])
    return findings


@transaction.atomic
def product_recheck(*, product: Product) -> list:
    """A listed product whose copy changed: listed again only if clean and auto-listing is on,
    otherwise back to review."""
    findings = product_compliance_findings(product)
    if findings or not product.merchant.auto_list_clean_products:
        Product.objects.filter(pk=product.pk, status=Product.Status.LISTED).update(
            status=Product.Status.PENDING_REVIEW
        )
        product.refresh_from_db()
    return findings


@transaction.atomic
def product_review(*, product: Product, approve: bool, note: str = "") -> None:
    """An operator lists or rejects a product waiting for review."""
    target = Product.Status.LISTED if approve else Product.Status.REJECTED
    if not Product.objects.filter(pk=product.pk, status=Product.Status.PENDING_REVIEW).update(
        status=target, review_note="" if approve else note[:500]
    ):
        raise ReviewError("Only a product waiting for review can be approved or rejected.")
    product.refresh_from_db()
    events.report(events.PRODUCT_APPROVED if approve else events.PRODUCT_REJECTED, [product])


def product_delist(*, product: Product) -> None:
    """Off the storefront at once, cached pages included."""
    if Product.objects.filter(pk=product.pk, status=Product.Status.LISTED).update(
        status=Product.Status.DELISTED
    ):
        page_cache.invalidate_all()
