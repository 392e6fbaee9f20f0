"""Writes for the catalogue. Views, admin, API and seeding all go through these."""

import io
from collections.abc import Iterable, Sequence
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext_noop
from PIL import Image, ImageOps

from merchants.compliance import check_listing
from merchants.uploads import sniff_photo, stored_name
from shop.core import jobs, page_cache
from shop.core.errors import DomainError
from shop.core.tasks import publish
from shop.webhooks import events

from . import search, selectors
from .models import Product, ProductImage, SearchSynonym, SearchWord, Sku, StockRecord

THUMBNAIL_SIZE = (480, 480)
INDEX_BATCH_SIZE = 500
WORD_MAX_LENGTH = 64
TEXT_FIELDS = (
    "title",
    "title_en",
    "description",
    "description_en",
    "category__name",
    "category__name_en",
    "merchant__name",
    "merchant__name_en",
    "search_document",
)


def product_search_index_refresh(
    *, products: Iterable[Product], rules: Sequence[search.Expansion] | None = None
) -> None:
    """Recompute the search terms of `products` (loaded with category and merchant), and
    add their Latin words to the typo lexicon. Three statements for up to 500 products."""
    rules = selectors.search_rules() if rules is None else rules
    full_text = search.uses_full_text()
    names: dict[tuple[int, int], list[str]] = {}
    batch: list[Product] = []
    documents: list[search.Document] = []
    words: set[str] = set()
    for product in products:
        key = (product.category_id, product.merchant_id)
        if key not in names:
            category, merchant = product.category, product.merchant
            text = f"{category.name} {category.name_en} {merchant.name} {merchant.name_en}"
            names[key] = search.expanded_terms(text, rules, pinyin=True)
            words |= search.lexicon_words(text)
        title = f"{product.title} {product.title_en}"
        words |= search.lexicon_words(title)
        document = search.Document(
            title=search.expanded_terms(title, rules, pinyin=True),
            names=names[key],
            body=search.expanded_terms(f"{product.description} {product.description_en}", rules),
        )
        product.search_document = document.stored()
        product.search_title = document.stored_title()
        documents.append(document)
        batch.append(product)
    if full_text:
        for start in range(0, len(batch), INDEX_BATCH_SIZE):
            _vectors_update(
                batch[start : start + INDEX_BATCH_SIZE], documents[start : start + INDEX_BATCH_SIZE]
            )
    else:
        Product.objects.bulk_update(
            batch, ["search_document", "search_title"], batch_size=INDEX_BATCH_SIZE
        )
    SearchWord.objects.bulk_create(
        [SearchWord(word=word) for word in sorted(words) if len(word) <= WORD_MAX_LENGTH],
        ignore_conflicts=True,
        batch_size=1000,
    )


# One statement from arrays: bulk_update's CASE over 500 search vectors spent seconds
# building expressions in Python for what PostgreSQL does in milliseconds.
_VECTORS_UPDATE = """
UPDATE catalogue_product AS p
SET search_document = v.document,
    search_title = v.title_terms,
    search_vector = setweight(to_tsvector(%(config)s::regconfig, v.title), 'A')
        || setweight(to_tsvector(%(config)s::regconfig, v.names), 'B')
        || setweight(to_tsvector(%(config)s::regconfig, v.body), 'C')
FROM unnest(%(ids)s::bigint[], %(documents)s::text[], %(title_terms)s::text[],
            %(titles)s::text[], %(names)s::text[], %(bodies)s::text[])
    AS v(id, document, title_terms, title, names, body)
WHERE p.id = v.id
"""


def _vectors_update(products: list[Product], documents: list[search.Document]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            _VECTORS_UPDATE,
            {
                "config": search.CONFIG,
                "ids": [p.pk for p in products],
                "documents": [p.search_document for p in products],
                "title_terms": [p.search_title for p in products],
                "titles": [" ".join(d.title) for d in documents],
                "names": [" ".join(d.names) for d in documents],
                "bodies": [" ".join(d.body) for d in documents],
            },
        )


def product_search_reindex(*, batch_size: int = INDEX_BATCH_SIZE) -> int:
    """Re-index every product, in batches (`manage.py reindex_search`); returns how many."""
    rules = selectors.search_rules()
    products = Product.objects.select_related("category", "merchant").order_by("pk")
    done, last = 0, 0
    while batch := list(products.filter(pk__gt=last)[:batch_size]):
        with transaction.atomic():
            product_search_index_refresh(products=batch, rules=rules)
        done, last = done + len(batch), batch[-1].pk
    return done


SEARCH_INDEX_JOB = jobs.define(
    "catalogue.search_index", gettext_noop("Re-index products after a search synonym changed")
)


def products_reindex_for_words(*, words: Iterable[str]) -> int:
    """Re-index the products whose texts, or whose index, have any of `words`: the ones a
    changed synonym rule adds terms to or takes them from. Each product on its own, so one
    that fails (and is retried by the job) does not stop the others."""
    condition = Q()
    for word in words:
        for field in TEXT_FIELDS:
            condition |= Q(**{f"{field}__icontains": word})
    if not condition:
        return 0
    rules = selectors.search_rules()
    products = Product.objects.select_related("category", "merchant").filter(condition)
    return jobs.run_each(
        SEARCH_INDEX_JOB,
        products.exclude(pk__in=jobs.held_back(SEARCH_INDEX_JOB)).order_by("pk").iterator(),
        lambda product: product_search_index_refresh(products=[product], rules=rules) or True,
        key=lambda product: product.pk,
    )


def _reindex_later(words: set[str]) -> None:
    # tasks imports this module: the task is looked up at call time (a real cycle).
    from .tasks import products_reindex_for_words_task

    transaction.on_commit(lambda: publish(products_reindex_for_words_task, sorted(words)))


def _synonym_words(synonym: SearchSynonym) -> set[str]:
    return search.rule_words(
        search.expansions(
            term=synonym.term,
            alternatives=synonym.alternatives,
            symmetric=synonym.kind == SearchSynonym.Kind.SYNONYM,
        )
    )


@transaction.atomic
def search_synonym_save(*, synonym: SearchSynonym) -> SearchSynonym:
    """Save an operator's rule; the products it touched before or touches now are
    re-indexed in the background."""
    synonym.full_clean()
    before = SearchSynonym.objects.filter(pk=synonym.pk).first() if synonym.pk else None
    synonym.save()
    _reindex_later(_synonym_words(synonym) | (_synonym_words(before) if before else set()))
    return synonym


@transaction.atomic
def search_synonym_delete(*, synonym: SearchSynonym) -> None:
    words = _synonym_words(synonym)
    synonym.delete()
    _reindex_later(words)


@transaction.atomic
def product_save(*, product: Product, index: bool = True) -> Product:
    """Save a product and refresh its search terms; a caller saving many (an import)
    passes `index=False` and refreshes them together, in its transaction, once."""
    product.full_clean(exclude=["search_vector", "search_document", "search_title"])
    product.save()
    if index:
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


# The states a merchant may submit a product for review from.
SUBMITTABLE = [Product.Status.DRAFT, Product.Status.REJECTED, Product.Status.DELISTED]


@transaction.atomic
def product_submit(*, product: Product) -> list:
    """The merchant submits a draft (or a rejected or delisted product) for review.

    The compliance check runs now; a clean product goes live at once if the merchant
    allows it, otherwise an operator approves it. Returns the findings.
    """
    findings = product_compliance_findings(product)
    auto = not findings and product.merchant.auto_list_clean_products
    target = Product.Status.LISTED if auto else Product.Status.PENDING_REVIEW
    if not Product.objects.filter(pk=product.pk, status__in=SUBMITTABLE).update(
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
