"""Merchants' bulk files: products, SKUs, prices and stock in and out as CSV or XLSX, and
tracking numbers in, with django-import-export's resources doing the row work.

An import is a job (`ImportJob`): the file is bounded (bytes, rows, and an XLSX's size
unzipped) and stored, a worker checks every row without writing anything (a dry run that
counts its progress on the job, so the page can show it), and the merchant applies a
clean check, which the worker runs again in one transaction: one bad row and nothing is
written (that run counts its progress in the cache, which its transaction does not hide).
Every lookup is scoped to the merchant's own shop (`merchants.tenancy`): a row that names
another shop's SKU, product or order is a row error, never a write. Writes go through the
domain services: products through `catalogue.services.product_save` (and back to review
when a listed product's copy changes), SKUs and stock through `sku_save`, shipments
through `orders.services.order_ship`, so the buyer's notice and the partners' webhook go
out as they do for a shipment typed in the admin.

Money is read as text into Decimal (an XLSX number cell too: from its shortest
representation), never through float arithmetic. Exports never hold a formula: every
text cell goes through `shop.core.exports.csv_cell`, XLSX included (openpyxl would
otherwise store a text starting with `=` as a formula).
"""

import io
import logging
import re
import zipfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

import tablib
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from import_export import fields, resources
from import_export.formats import base_formats
from import_export.results import Result

from shop.catalogue import services as catalogue
from shop.catalogue.models import Product, Sku
from shop.core.errors import DomainError
from shop.core.exports import FORMULA_STARTS, csv_cell
from shop.core.tasks import publish
from shop.orders import services as orders
from shop.orders import state as order_state
from shop.orders.models import ChangeRequest, Order

from . import tasks
from .models import ImportJob, Merchant
from .selectors import import_progress_key, merchant_for_user
from .tenancy import owned_by

logger = logging.getLogger(__name__)

# The XLSX is a zip: its parts unzipped may not exceed this (a "zip bomb" is refused).
MAX_UNZIPPED_BYTES = 10 * settings.IMPORT_MAX_BYTES
PROGRESS_EVERY = 25  # rows between two progress writes
STALE_AFTER = timedelta(minutes=2)  # a running job untouched this long is published again
APPLY_PROGRESS_SECONDS = 60 * 60  # how long a stuck apply's count stays in the cache
MAX_PRICE = Decimal("99999999.99")  # Sku.price: 10 digits, 2 decimals
FORMATS = {".csv": base_formats.CSV, ".xlsx": base_formats.XLSX}

CATALOGUE_COLUMNS = [
    "product_id",
    "product_title",
    "product_title_en",
    "category",
    "description",
    "sku_id",
    "sku_code",
    "attributes",
    "price",
    "stock",
    "on_sale",
]
CATALOGUE_REQUIRED = ["product_title", "category", "sku_code", "price"]
TRACKING_COLUMNS = ["order_number", "carrier", "tracking_number"]

# The carriers a tracking file may name, by name or code (any case); stored by name.
CARRIERS = {
    "顺丰速运": ("SF", "SFEXPRESS", "顺丰"),
    "京东物流": ("JD", "JDL", "京东"),
    "中国邮政EMS": ("EMS", "邮政", "中国邮政"),
    "中通快递": ("ZTO", "中通"),
    "圆通速递": ("YTO", "圆通"),
    "韵达快递": ("YUNDA", "韵达"),
    "申通快递": ("STO", "申通"),
    "极兔速递": ("JT", "JTEXPRESS", "极兔"),
    "德邦快递": ("DEPPON", "德邦"),
}
_CARRIER_NAMES = {
    alias.casefold(): name for name, aliases in CARRIERS.items() for alias in (name, *aliases)
}

TRUE = {"1", "yes", "y", "true", "是", "在售"}
FALSE = {"0", "no", "n", "false", "否", "停售"}
SHIPPABLE = [Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED]


class ImportRefused(DomainError):
    """The file as a whole cannot be imported (size, format, rows, columns) or the job
    cannot move on; nothing was written."""

    code = "import-refused"
    status = 422


def carrier_name(text: str) -> str | None:
    """The carrier's name for a name or code (`sf`, `顺丰`), or None if it is not one."""
    return _CARRIER_NAMES.get(text.strip().casefold())


# --- Reading a file -------------------------------------------------------------------


def _id(text: str) -> int | None:
    """A row's id cell as a database id, or None if it cannot be one."""
    return int(text) if text.isdigit() and len(text) < 19 else None


def _cell(value: object) -> str:
    """A cell as the text it shows: numbers from their shortest form (never float maths),
    and the quote an export puts before a formula-like text taken off again."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value).strip()
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_STARTS:
        return text[1:]
    return text


def _check_unzipped_size(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ImportRefused(_("This is not an XLSX workbook.")) from None
    if unzipped > MAX_UNZIPPED_BYTES:
        raise ImportRefused(_("The workbook is too large once unzipped."))


def read_table(
    data: bytes, filename: str, columns: list[str], required: list[str]
) -> tablib.Dataset:
    """The file's first sheet as text cells, headers in lower case; refused whole if it is
    not CSV or XLSX, is too big, has too many rows or lacks a required column."""
    if len(data) > settings.IMPORT_MAX_BYTES:
        raise ImportRefused(
            _("The file is %(size)s; an import file may be at most %(max)s.")
            % {
                "size": filesizeformat(len(data)),
                "max": filesizeformat(settings.IMPORT_MAX_BYTES),
            }
        )
    suffix = PurePath(filename).suffix.lower()
    if suffix not in FORMATS:
        raise ImportRefused(_("Upload a .csv or .xlsx file."))
    try:
        if suffix == ".xlsx":
            _check_unzipped_size(data)
            raw = FORMATS[suffix]().create_dataset(data)
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:  # Excel in China saves CSV as GBK
                text = data.decode("gb18030")
            raw = FORMATS[suffix]().create_dataset(text)
    except ImportRefused:
        raise
    except Exception as error:  # a damaged file: whatever the parser raised
        logger.info("Unreadable import file %s: %s", filename, error)
        raise ImportRefused(
            _("The file could not be read as %(format)s.") % {"format": suffix[1:].upper()}
        ) from None
    if raw.height > settings.IMPORT_MAX_ROWS:
        raise ImportRefused(
            _("The file has %(rows)d rows; an import may have at most %(max)d.")
            % {"rows": raw.height, "max": settings.IMPORT_MAX_ROWS}
        )
    headers = [_cell(header).lower() for header in raw.headers or []]
    missing = [column for column in required if column not in headers]
    if missing:
        raise ImportRefused(
            _("The file lacks the columns: %(columns)s. The first row names the columns: %(all)s.")
            % {"columns": ", ".join(missing), "all": ", ".join(columns)}
        )
    table = tablib.Dataset(headers=headers)
    for row in raw:
        cells = [_cell(value) for value in row]
        if any(cells):  # blank lines at the end of a sheet are not rows
            table.append(cells)
    if not table.height:
        raise ImportRefused(_("The file has no rows under its header."))
    return table


# --- Parsing cells --------------------------------------------------------------------


def parse_price(text: str) -> Decimal:
    try:
        price = Decimal(text.replace(",", "").removeprefix("¥").removeprefix("￥"))
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not a price.") % {"value": text}) from None
    if not price.is_finite() or price <= 0:
        raise ValueError(_("A price must be more than 0."))
    if price.as_tuple().exponent < -2:
        raise ValueError(_("A price has at most two decimals (fen)."))
    if price > MAX_PRICE:
        raise ValueError(_("A price may be at most %(max)s.") % {"max": MAX_PRICE})
    return price.quantize(Decimal("0.01"))


def parse_stock(text: str) -> int:
    try:
        quantity = int(text)
    except ValueError:
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": text}) from None
    if quantity < 0:
        raise ValueError(_("Stock cannot be negative."))
    return quantity


def parse_attributes(text: str) -> dict[str, str]:
    """`规格: 标准礼盒; 颜色: 红` (half- or full-width punctuation) as a dict."""
    found: dict[str, str] = {}
    for part in re.split(r"[;；]", text):
        if not part.strip():
            continue
        pieces = re.split(r"[:：]", part, maxsplit=1)
        name, value = pieces if len(pieces) == 2 else (pieces[0], "")
        if not name.strip() or not value.strip():
            raise ValueError(
                _("Write attributes as “name: value; name: value”, not “%(value)s”.")
                % {"value": part.strip()}
            )
        found[name.strip()] = value.strip()
    return found


def format_attributes(attributes: dict) -> str:
    return "; ".join(f"{name}: {value}" for name, value in (attributes or {}).items())


def parse_flag(text: str) -> bool:
    folded = text.casefold()
    if folded in TRUE:
        return True
    if folded in FALSE:
        return False
    raise ValueError(_("Write 1 or 0 (yes or no), not “%(value)s”.") % {"value": text})


# --- The resources --------------------------------------------------------------------


class ShopResource(resources.ModelResource):
    """A resource for one merchant's rows; `progress(n)` hears every PROGRESS_EVERY rows."""

    def __init__(self, merchant: Merchant, progress: Callable[[int], None] | None = None):
        super().__init__()
        self.merchant = merchant
        self.progress = progress

    def after_import_row(self, row, row_result, **kwargs) -> None:
        if self.progress and kwargs["row_number"] % PROGRESS_EVERY == 0:
            self.progress(kwargs["row_number"])

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # import_instance checked everything (through the models' own validation too)
        if import_validation_errors:
            raise ValidationError(import_validation_errors)


class CatalogueResource(ShopResource):
    """One row per SKU, with its product's columns; the export's columns are the import's.

    `sku_id` blank adds a SKU, `product_id` blank a product (rows naming the same new
    product title in one file are one product); a product's columns are read from its
    first row in the file.
    """

    product_id = fields.Field(attribute="product_id", column_name="product_id")
    product_title = fields.Field(attribute="product__title", column_name="product_title")
    product_title_en = fields.Field(attribute="product__title_en", column_name="product_title_en")
    category = fields.Field(attribute="product__category__slug", column_name="category")
    description = fields.Field(attribute="product__description", column_name="description")
    sku_id = fields.Field(attribute="id", column_name="sku_id")
    sku_code = fields.Field(attribute="code", column_name="sku_code")
    attributes = fields.Field(column_name="attributes")
    price = fields.Field(column_name="price")
    stock = fields.Field(column_name="stock")
    on_sale = fields.Field(column_name="on_sale")

    class Meta:
        model = Sku
        fields = CATALOGUE_COLUMNS
        export_order = CATALOGUE_COLUMNS
        import_id_fields = ["sku_id"]
        skip_diff = True

    def __init__(self, merchant: Merchant, progress: Callable[[int], None] | None = None):
        super().__init__(merchant, progress)
        self.products_by_title: dict[str, Product] = {}  # new products in this file
        self.products_seen: dict[int, Product] = {}  # id(product) → product, read once
        self.saved: set[int] = set()  # id(product) of products saved in this run
        self.to_index: list[Product] = []  # saved products, their search terms refreshed at the end
        self.codes: dict[int, set[str]] = {}  # id(product) → SKU codes in this file
        self.categories = {c.slug: c for c in merchant.categories.all()}

    def get_queryset(self):
        return (
            Sku.objects.filter(owned_by(Sku, [self.merchant.pk]))
            .select_related("product__category", "stock")
            .order_by("product_id", "position", "pk")
        )

    # export

    def dehydrate_attributes(self, sku: Sku) -> str:
        return format_attributes(sku.attributes)

    def dehydrate_price(self, sku: Sku) -> Decimal:
        return sku.price

    def dehydrate_stock(self, sku: Sku) -> int:
        return getattr(getattr(sku, "stock", None), "quantity", 0)

    def dehydrate_on_sale(self, sku: Sku) -> int:
        return int(sku.is_active)

    # import

    def get_instance(self, instance_loader, row):
        sku_id = row.get("sku_id", "")
        if not sku_id:
            return None
        found = self.get_queryset().filter(pk=_id(sku_id)).first() if _id(sku_id) else None
        if found is None:
            raise ValidationError({"sku_id": _("No SKU %(id)s in your shop.") % {"id": sku_id}})
        return found

    def _product(self, sku: Sku, row: dict, fail: Callable[[str, str], None]) -> Product | None:
        product_id = row.get("product_id", "")
        if sku.pk:
            if product_id and product_id != str(sku.product_id):
                fail(
                    "product_id",
                    _("SKU %(sku)s belongs to product %(product)s.")
                    % {"sku": sku.pk, "product": sku.product_id},
                )
            return sku.product
        if product_id:
            product = (
                Product.objects.filter(owned_by(Product, [self.merchant.pk]), pk=_id(product_id))
                .select_related("category")
                .first()
                if _id(product_id)
                else None
            )
            if product is None:
                fail("product_id", _("No product %(id)s in your shop.") % {"id": product_id})
            return product
        title = row.get("product_title", "")
        if title not in self.products_by_title:
            self.products_by_title[title] = Product(
                merchant=self.merchant, status=Product.Status.DRAFT
            )
        return self.products_by_title[title]

    def _read_product(self, product: Product, row: dict, fail: Callable[[str, str], None]) -> None:
        """The product's columns, from its first row in the file."""
        if id(product) in self.products_seen:
            return
        self.products_seen[id(product)] = product
        title = row.get("product_title", "")
        if not title:
            fail("product_title", _("A product needs a title."))
        slug = row.get("category", "")
        category = self.categories.get(slug)
        if category is None:
            allowed = ", ".join(sorted(self.categories)) or "—"
            fail(
                "category",
                _("Unknown category “%(slug)s”: your shop sells in %(allowed)s.")
                % {"slug": slug, "allowed": allowed},
            )
        product._copy_before = (product.title, product.title_en, product.description)
        product.title = title
        for column, name in (("product_title_en", "title_en"), ("description", "description")):
            if column in row:  # a column left out of the file leaves the text as it is
                setattr(product, name, row[column])
        if category is not None:
            product.category = category
        for finding in catalogue.product_compliance_findings(product):
            fail(
                finding.field if finding.field in ("description",) else "product_title",
                _("“%(term)s” is a banned claim (Advertising Law art. 9).")
                % {"term": finding.term},
            )
        try:
            product.full_clean(
                exclude=["merchant", "category", "search_vector", "search_document", "search_title"]
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                for message in messages:
                    fail(f"product_{name}" if name == "title" else name, message)

    def import_instance(self, sku: Sku, row: dict, **kwargs) -> None:
        errors: dict[str, list[str]] = {}

        def fail(column: str, message: str) -> None:
            errors.setdefault(column, []).append(message)

        product = self._product(sku, row, fail)
        if product is not None:
            self._read_product(product, row, fail)
        code = row.get("sku_code", "")
        if not code:
            fail("sku_code", _("A SKU needs a code."))
        elif product is not None:
            codes = self.codes.setdefault(id(product), set())
            if code in codes:
                fail(
                    "sku_code", _("SKU code “%(code)s” is twice in this product.") % {"code": code}
                )
            codes.add(code)
            if (
                product.pk
                and Sku.objects.filter(product=product, code=code).exclude(pk=sku.pk).exists()
            ):
                fail("sku_code", _("The product already has a SKU “%(code)s”.") % {"code": code})
        sku.code = code
        for column, parse, target in (
            ("price", parse_price, "price"),
            ("attributes", parse_attributes, "attributes"),
            ("on_sale", parse_flag, "is_active"),
        ):
            if row.get(column, "") or column == "price":
                try:
                    setattr(sku, target, parse(row.get(column, "")))
                except ValueError as error:
                    fail(column, str(error))
        sku._import_stock = None
        if row.get("stock", ""):
            try:
                sku._import_stock = parse_stock(row["stock"])
            except ValueError as error:
                fail("stock", str(error))
        elif not sku.pk:
            sku._import_stock = 0
        sku._import_product = product
        try:
            sku.full_clean(
                exclude=["product", "price", "attributes", "is_active"], validate_unique=False
            )
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                errors.setdefault("sku_code" if name == "code" else name, []).extend(messages)
        if errors:
            raise ValidationError(errors)

    def after_import(self, dataset, result, **kwargs) -> None:
        """The saved products' search terms, in batches, in the apply's transaction."""
        for start in range(0, len(self.to_index), catalogue.INDEX_BATCH_SIZE):
            catalogue.product_search_index_refresh(
                products=self.to_index[start : start + catalogue.INDEX_BATCH_SIZE]
            )

    def save_instance(self, instance: Sku, is_create: bool, row: dict, **kwargs) -> None:
        if kwargs.get("dry_run"):
            return
        product = instance._import_product
        if id(product) not in self.saved:
            self.saved.add(id(product))
            copy_changed = product.pk and product._copy_before != (
                product.title,
                product.title_en,
                product.description,
            )
            catalogue.product_save(product=product, index=False)
            self.to_index.append(product)
            if copy_changed and product.status == Product.Status.LISTED:
                catalogue.product_recheck(product=product)
        instance.product = product
        catalogue.sku_save(sku=instance, stock=instance._import_stock)


class TrackingResource(ShopResource):
    """order_number, carrier, tracking_number: each row ships one of the shop's paid orders."""

    order_number = fields.Field(attribute="number", column_name="order_number")
    carrier = fields.Field(attribute="carrier", column_name="carrier")
    tracking_number = fields.Field(attribute="tracking_number", column_name="tracking_number")

    class Meta:
        model = Order
        fields = TRACKING_COLUMNS
        import_id_fields = ["order_number"]
        skip_diff = True

    def __init__(self, merchant: Merchant, progress: Callable[[int], None] | None = None):
        super().__init__(merchant, progress)
        self.numbers: set[str] = set()

    def get_queryset(self):
        return Order.objects.filter(owned_by(Order, [self.merchant.pk]))

    def get_instance(self, instance_loader, row):
        number = row.get("order_number", "")
        # Another shop's order reads as unknown: a file never learns which numbers exist.
        order = self.get_queryset().filter(number=number).first() if number else None
        if order is None:
            raise ValidationError(
                {"order_number": _("No order “%(number)s” in your shop.") % {"number": number}}
            )
        return order

    def import_instance(self, order: Order, row: dict, **kwargs) -> None:
        errors: dict[str, list[str]] = {}
        if order.number in self.numbers:
            errors["order_number"] = [_("The order is twice in this file.")]
        self.numbers.add(order.number)
        if order.status not in SHIPPABLE or order.shipped_at is not None:
            errors.setdefault("order_number", []).append(
                _("The order is %(status)s: only a paid order that has not shipped can ship.")
                % {"status": order.get_status_display()}
            )
        elif ChangeRequest.objects.filter(order=order, status=order_state.CR.PENDING).exists():
            errors.setdefault("order_number", []).append(
                _("The recipient asked for a change: approve or reject it before shipping.")
            )
        carrier = carrier_name(row.get("carrier", ""))
        if carrier is None:
            errors["carrier"] = [
                _("Unknown carrier “%(carrier)s”: use one of %(known)s.")
                % {"carrier": row.get("carrier", ""), "known": ", ".join(CARRIERS)}
            ]
        tracking = row.get("tracking_number", "")
        if not tracking or len(tracking) > 50 or not re.fullmatch(r"[A-Za-z0-9-]+", tracking):
            errors["tracking_number"] = [
                _("A tracking number is 1 to 50 letters, digits or dashes.")
            ]
        if errors:
            raise ValidationError(errors)
        order._import_shipment = (carrier, tracking)

    def save_instance(self, instance: Order, is_create: bool, row: dict, **kwargs) -> None:
        if kwargs.get("dry_run"):
            return
        carrier, tracking = instance._import_shipment
        orders.order_ship(order=instance, carrier=carrier, tracking_number=tracking)


RESOURCES: dict[str, tuple[type[ShopResource], list[str], list[str]]] = {
    ImportJob.Kind.CATALOGUE: (CatalogueResource, CATALOGUE_COLUMNS, CATALOGUE_REQUIRED),
    ImportJob.Kind.TRACKING: (TrackingResource, TRACKING_COLUMNS, TRACKING_COLUMNS),
}


# --- Running a job ---------------------------------------------------------------------


def _report(result: Result) -> dict:
    """The run as the page shows it: counts, and each refused row's line and messages."""
    rows = []
    for invalid in result.invalid_rows:
        messages = [
            f"{column}: {message}"
            for column, column_messages in invalid.error_dict.items()
            for message in column_messages
        ]
        rows.append({"line": invalid.number + 1, "errors": messages})
    for number, row_errors in result.row_errors():
        messages = []
        for error in row_errors:
            if isinstance(error.error, DomainError):
                messages.append(str(error.error))
            else:
                logger.error("Import row %s failed", number, exc_info=error.error)
                messages.append(_("This row could not be saved."))
        rows.append({"line": number + 1, "errors": messages})
    rows.sort(key=lambda row: row["line"])
    totals = result.totals
    return {
        "new": totals.get("new", 0),
        "update": totals.get("update", 0),
        "invalid": len(rows),
        "rows": rows,
    }


def _run(
    job: ImportJob, *, dry_run: bool, on_progress: Callable[[int], None] | None = None
) -> dict:
    """The rows run through the job's resource; refusals and messages in the uploader's
    language, as the page shows them to them."""
    with translation.override(job.language):
        try:
            return _rows(job, dry_run=dry_run, on_progress=on_progress)
        except ImportRefused as error:
            return {"error": str(error), "rows": []}


def _apply_progress(job: ImportJob, done: int) -> None:
    """The apply's count, in the cache: outside its transaction, so the page sees it."""
    cache.set(import_progress_key(job.pk), done, APPLY_PROGRESS_SECONDS)


def _rows(job: ImportJob, *, dry_run: bool, on_progress: Callable[[int], None] | None) -> dict:
    resource_class, columns, required = RESOURCES[job.kind]
    table = read_table(bytes(job.data), job.filename, columns, required)

    def progress(done: int) -> None:
        if dry_run:
            ImportJob.objects.filter(pk=job.pk).update(done_rows=done, updated_at=timezone.now())
        else:
            _apply_progress(job, done)
        if on_progress:
            on_progress(done)

    resource = resource_class(job.merchant, progress)
    # The check writes nothing and so needs no transaction (its progress commits as it
    # goes); the apply is one transaction, rolled back by any invalid or failed row.
    result = resource.import_data(
        table,
        dry_run=dry_run,
        use_transactions=not dry_run,
        rollback_on_validation_errors=True,
    )
    return _report(result)


def import_job_create(*, user: object, kind: str, upload: UploadedFile) -> ImportJob:
    """Store an uploaded file as a job and have a worker check it; the file as a whole is
    refused here (too big, not CSV or XLSX, too many rows, missing columns)."""
    merchant = merchant_for_user(user)
    if merchant is None:
        raise ImportRefused(_("Only a shop's staff can import its files."))
    if kind not in RESOURCES:
        raise ImportRefused(_("Unknown kind of import."))
    if upload.size is not None and upload.size > settings.IMPORT_MAX_BYTES:
        raise ImportRefused(
            _("The file is %(size)s; an import file may be at most %(max)s.")
            % {
                "size": filesizeformat(upload.size),
                "max": filesizeformat(settings.IMPORT_MAX_BYTES),
            }
        )
    data = upload.read(settings.IMPORT_MAX_BYTES + 1)
    columns, required = RESOURCES[kind][1:]
    table = read_table(data, upload.name or "", columns, required)
    job = ImportJob.objects.create(
        merchant=merchant,
        user=user,
        kind=kind,
        filename=PurePath(upload.name or "").name[:200],
        language=translation.get_language() or settings.LANGUAGE_CODE,
        data=data,
        total_rows=table.height,
    )
    transaction.on_commit(lambda: publish(tasks.import_job_check_task, job.pk))
    return job


def import_job_check(*, job_id: int) -> ImportJob:
    """The dry run: every row checked, nothing written; the job says what applying would do."""
    job = ImportJob.objects.select_related("merchant").get(pk=job_id)
    if job.status != ImportJob.Status.CHECKING:
        return job
    report = _run(job, dry_run=True)
    job.report = report
    job.done_rows = job.total_rows
    clean = not report.get("error") and not report["rows"]
    job.status = ImportJob.Status.CHECKED if clean else ImportJob.Status.INVALID
    job.save(update_fields=["report", "done_rows", "status", "updated_at"])
    return job


def import_job_apply(*, job: ImportJob) -> ImportJob:
    """The merchant applies a clean check: a worker runs it in one transaction."""
    if not ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.CHECKED).update(
        status=ImportJob.Status.APPLYING
    ):
        raise ImportRefused(_("Only a checked file without errors can be applied."))
    transaction.on_commit(lambda: publish(tasks.import_job_apply_task, job.pk))
    job.refresh_from_db()
    return job


def import_job_run(
    *, job_id: int, on_progress: Callable[[int], None] | None = None
) -> ImportJob | None:
    """Apply the job's rows in one transaction: every row or none (rows are checked again,
    as the shop may have changed since the check). The job's row is locked and its status
    written in that transaction, so a redelivered or repeated task applies nothing twice.
    Its progress is counted in the cache as it goes (`selectors.import_job_done_rows`;
    `on_progress` hears each count once it is there). The file is dropped once applied."""
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("merchant")
            .filter(pk=job_id, status=ImportJob.Status.APPLYING)
            .first()
        )
        if job is None:
            return None
        _apply_progress(job, 0)
        report = _run(job, dry_run=False, on_progress=on_progress)
        applied = not report.get("error") and not report["rows"]
        job.report = report
        job.status = ImportJob.Status.APPLIED if applied else ImportJob.Status.FAILED
        if applied:
            job.data = b""
        job.save(update_fields=["report", "status", "data", "updated_at"])
        transaction.on_commit(lambda: cache.delete(import_progress_key(job_id)))
    return job


def import_job_nudge(*, job: ImportJob, now: datetime | None = None) -> bool:
    """Publish a running job's task again if nothing has moved it for STALE_AFTER (the
    broker was down when it was published, or a worker died): both tasks are safe to
    repeat. True if it was published. A job a worker is applying is locked by it: that one
    is moving, and the page must not wait for the lock until the apply ends."""
    now = now or timezone.now()
    task = {
        ImportJob.Status.CHECKING: tasks.import_job_check_task,
        ImportJob.Status.APPLYING: tasks.import_job_apply_task,
    }.get(job.status)
    if task is None or job.updated_at > now - STALE_AFTER:
        return False
    with transaction.atomic():
        unmoved = ImportJob.objects.select_for_update(skip_locked=True).filter(
            pk=job.pk, updated_at=job.updated_at
        )
        if not unmoved.exists():
            return False  # a worker is applying it, or another page view nudged it first
        unmoved.update(updated_at=now)
    return publish(task, job.pk)


def import_job_for(*, user: object, job_id: int) -> ImportJob | None:
    """The user's shop's job, or None (another shop's job is not found)."""
    merchant = merchant_for_user(user)
    if merchant is None:
        return None
    return ImportJob.objects.filter(owned_by(ImportJob, [merchant.pk]), pk=job_id).first()


# --- Exports ---------------------------------------------------------------------------


def catalogue_export(*, merchant: Merchant, file_format: str) -> bytes:
    """The shop's products and SKUs as the import reads them, never a formula in a cell."""
    dataset = CatalogueResource(merchant).export()
    safe = tablib.Dataset(headers=dataset.headers)
    for row in dataset:
        safe.append([csv_cell(value) for value in row])
    if file_format == "xlsx":
        return safe.export("xlsx")
    return ("\ufeff" + safe.export("csv")).encode()  # the BOM: spreadsheets read UTF-8
