"""The merchants' bulk files: the catalogue import and export, and the tracking import."""

import io
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import translation

from merchants import imports, selectors
from merchants.models import ImportJob
from shop.catalogue.models import Product, Sku, StockRecord
from shop.orders import services as orders
from shop.orders.models import Order, OrderEvent
from tests.factories import CategoryFactory
from tests.merchants.world import Shop

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are asserted word for word, in English."""
    with translation.override("en"):
        yield


HEADER = "product_id,product_title,product_title_en,category,description,sku_id,sku_code,attributes,price,stock,on_sale"


def upload(text: str, name: str = "catalogue.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode())


def catalogue_csv(shop: Shop, *rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def new_product_row(
    shop: Shop,
    *,
    title: str = "新礼盒",
    code: str = "GIFT-1",
    price: str = "128.00",
    category: str | None = None,
) -> str:
    return (
        f",{title},New box,{category or shop.category.slug},礼盒,,{code},规格: 标准礼盒,{price},7,1"
    )


def check(
    shop: Shop, text: str, kind: str = ImportJob.Kind.CATALOGUE, name: str = "catalogue.csv"
) -> ImportJob:
    job = imports.import_job_create(user=shop.owner, kind=kind, upload=upload(text, name))
    return imports.import_job_check(job_id=job.pk)


def apply(job: ImportJob) -> ImportJob:
    imports.import_job_apply(job=job)
    return imports.import_job_run(job_id=job.pk)


def lines_with_errors(job: ImportJob) -> dict[int, str]:
    return {row["line"]: " | ".join(row["errors"]) for row in job.report["rows"]}


# --- the catalogue import ------------------------------------------------------------


def test_a_dry_run_writes_nothing_and_says_what_applying_would_do(shop_a: Shop) -> None:
    skus = Sku.objects.count()
    job = check(
        shop_a,
        catalogue_csv(shop_a, new_product_row(shop_a), new_product_row(shop_a, code="GIFT-2")),
    )

    assert job.status == ImportJob.Status.CHECKED
    assert (job.report["new"], job.report["invalid"], job.done_rows) == (2, 0, 2)
    assert Sku.objects.count() == skus
    assert not Product.objects.filter(title="新礼盒").exists()


def test_applying_a_clean_file_adds_the_product_its_skus_and_their_stock_as_drafts(
    shop_a: Shop,
) -> None:
    job = apply(
        check(
            shop_a,
            catalogue_csv(
                shop_a,
                new_product_row(shop_a),
                new_product_row(shop_a, code="GIFT-2", price="168.5"),
            ),
        )
    )

    assert job.status == ImportJob.Status.APPLIED
    product = Product.objects.get(title="新礼盒", merchant=shop_a.merchant)
    assert product.status == Product.Status.DRAFT
    assert "礼盒" in product.search_title  # indexed for search, once listed
    prices = {
        sku.code: (sku.price, sku.stock.quantity, sku.attributes) for sku in product.skus.all()
    }
    assert prices == {
        "GIFT-1": (Decimal("128.00"), 7, {"规格": "标准礼盒"}),
        "GIFT-2": (Decimal("168.50"), 7, {"规格": "标准礼盒"}),
    }


def test_an_exported_row_with_a_new_price_and_stock_updates_the_sku(shop_a: Shop) -> None:
    sku = shop_a.sku
    row = f"{sku.product_id},{sku.product.title},{sku.product.title_en},{shop_a.category.slug},,{sku.pk},{sku.code},,88.80,3,1"
    job = apply(check(shop_a, catalogue_csv(shop_a, row)))

    assert (job.status, job.report["update"]) == (ImportJob.Status.APPLIED, 1)
    sku.refresh_from_db()
    assert (sku.price, StockRecord.objects.get(sku=sku).quantity) == (Decimal("88.80"), 3)


def test_one_bad_row_means_nothing_is_applied(shop_a: Shop) -> None:
    job = check(
        shop_a,
        catalogue_csv(
            shop_a, new_product_row(shop_a), new_product_row(shop_a, title="另一个", price="abc")
        ),
    )

    assert job.status == ImportJob.Status.INVALID
    assert lines_with_errors(job) == {3: "price: “abc” is not a price."}
    with pytest.raises(imports.ImportRefused, match="Only a checked file without errors"):
        imports.import_job_apply(job=job)
    assert not Product.objects.filter(title="新礼盒").exists()


def test_a_row_failing_at_apply_rolls_back_the_rows_before_it(shop_a: Shop) -> None:
    """The shop changed between the check and the apply: the whole file is refused."""
    job = check(
        shop_a,
        catalogue_csv(
            shop_a,
            new_product_row(shop_a),
            new_product_row(shop_a, title="第二个", category="later"),
        ),
    )
    assert job.status == ImportJob.Status.INVALID  # the unknown category
    job = check(
        shop_a,
        catalogue_csv(
            shop_a,
            new_product_row(shop_a),
            f"{shop_a.sku.product_id},{shop_a.sku.product.title},,{shop_a.category.slug},,{shop_a.sku.pk},{shop_a.sku.code},,9.90,1,1",
        ),
    )
    imports.import_job_apply(job=job)
    shop_a.merchant.categories.clear()  # before the worker applies

    job = imports.import_job_run(job_id=job.pk)

    assert job.status == ImportJob.Status.FAILED
    assert not Product.objects.filter(title="新礼盒").exists()
    shop_a.sku.refresh_from_db()
    assert shop_a.sku.price == Decimal("100.00")


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("abc", "is not a price"),
        ("0", "more than 0"),
        ("-5", "more than 0"),
        ("1.005", "at most two decimals"),
        ("NaN", "more than 0"),
        ("100000000", "at most 99999999.99"),
    ],
)
def test_a_bad_price_is_a_row_error(shop_a: Shop, price: str, message: str) -> None:
    job = check(shop_a, catalogue_csv(shop_a, new_product_row(shop_a, price=price)))

    assert message in lines_with_errors(job)[2]


def test_an_unknown_category_is_a_row_error_naming_the_shops_categories(shop_a: Shop) -> None:
    job = check(shop_a, catalogue_csv(shop_a, new_product_row(shop_a, category="no-such")))

    assert lines_with_errors(job)[2] == (
        f"category: Unknown category “no-such”: your shop sells in {shop_a.category.slug}."
    )


def test_a_category_the_shop_does_not_sell_in_is_unknown(shop_a: Shop, shop_b: Shop) -> None:
    job = check(
        shop_a, catalogue_csv(shop_a, new_product_row(shop_a, category=shop_b.category.slug))
    )

    assert "Unknown category" in lines_with_errors(job)[2]


def test_a_banned_claim_is_a_row_error(shop_a: Shop) -> None:
    job = check(shop_a, catalogue_csv(shop_a, new_product_row(shop_a, title="全网最好的礼盒")))

    assert "“最好” is a banned claim" in lines_with_errors(job)[2]


def test_a_row_naming_another_shops_sku_is_refused_and_nothing_written(
    shop_a: Shop, shop_b: Shop
) -> None:
    foreign = shop_b.sku
    row = f",{foreign.product.title},,{shop_a.category.slug},,{foreign.pk},{foreign.code},,1.00,0,1"
    job = check(shop_a, catalogue_csv(shop_a, new_product_row(shop_a), row))

    assert lines_with_errors(job) == {3: f"sku_id: No SKU {foreign.pk} in your shop."}
    foreign.refresh_from_db()
    assert foreign.price == Decimal("100.00")


def test_a_row_naming_another_shops_product_is_refused(shop_a: Shop, shop_b: Shop) -> None:
    row = f"{shop_b.product.pk},Sneaky,,{shop_a.category.slug},,,NEW-1,,1.00,0,1"
    job = check(shop_a, catalogue_csv(shop_a, row))

    assert lines_with_errors(job) == {
        2: f"product_id: No product {shop_b.product.pk} in your shop."
    }
    assert not Sku.objects.filter(code="NEW-1").exists()


def test_a_sku_code_twice_in_one_product_is_a_row_error(shop_a: Shop) -> None:
    job = check(shop_a, catalogue_csv(shop_a, new_product_row(shop_a), new_product_row(shop_a)))

    assert lines_with_errors(job) == {3: "sku_code: SKU code “GIFT-1” is twice in this product."}


def test_an_xlsx_file_imports_like_a_csv_with_number_cells_read_exactly(shop_a: Shop) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append([None, "表格礼盒", "", shop_a.category.slug, "", None, "X-1", "", 19.9, 4, 1])
    data = io.BytesIO()
    book.save(data)

    job = imports.import_job_create(
        user=shop_a.owner,
        kind=ImportJob.Kind.CATALOGUE,
        upload=SimpleUploadedFile("c.xlsx", data.getvalue()),
    )
    apply(imports.import_job_check(job_id=job.pk))

    assert Sku.objects.get(code="X-1").price == Decimal("19.90")


def test_an_oversized_upload_is_refused_with_its_size(shop_a: Shop, settings: object) -> None:
    settings.IMPORT_MAX_BYTES = 1000  # type: ignore[attr-defined]
    text = catalogue_csv(shop_a, *[new_product_row(shop_a, code=f"C-{n}") for n in range(30)])

    with pytest.raises(imports.ImportRefused, match=r"an import file may be at most 1000\xa0bytes"):
        imports.import_job_create(
            user=shop_a.owner, kind=ImportJob.Kind.CATALOGUE, upload=upload(text)
        )
    assert not ImportJob.objects.exists()


def test_a_file_with_too_many_rows_is_refused(shop_a: Shop, settings: object) -> None:
    settings.IMPORT_MAX_ROWS = 2  # type: ignore[attr-defined]
    text = catalogue_csv(shop_a, *[new_product_row(shop_a, code=f"C-{n}") for n in range(3)])

    with pytest.raises(imports.ImportRefused, match="has 3 rows; an import may have at most 2"):
        imports.import_job_create(
            user=shop_a.owner, kind=ImportJob.Kind.CATALOGUE, upload=upload(text)
        )


def test_a_file_that_is_not_csv_or_xlsx_is_refused(shop_a: Shop) -> None:
    with pytest.raises(imports.ImportRefused, match=r"Upload a \.csv or \.xlsx file"):
        imports.import_job_create(
            user=shop_a.owner, kind=ImportJob.Kind.CATALOGUE, upload=upload("x", "c.txt")
        )


def test_a_file_missing_a_column_is_refused(shop_a: Shop) -> None:
    with pytest.raises(imports.ImportRefused, match="lacks the columns: price"):
        imports.import_job_create(
            user=shop_a.owner,
            kind=ImportJob.Kind.CATALOGUE,
            upload=upload("product_title,category,sku_code\n礼盒,a,b\n"),
        )


def test_another_shops_job_is_not_found(shop_a: Shop, shop_b: Shop) -> None:
    job = check(shop_a, catalogue_csv(shop_a, new_product_row(shop_a)))

    assert imports.import_job_for(user=shop_b.owner, job_id=job.pk) is None
    assert imports.import_job_for(user=shop_a.colleague.user, job_id=job.pk) == job


# --- the catalogue export ------------------------------------------------------------


def test_the_export_holds_only_the_shops_own_skus(shop_a: Shop, shop_b: Shop) -> None:
    text = imports.catalogue_export(merchant=shop_a.merchant, file_format="csv").decode("utf-8-sig")

    assert shop_a.sku.code in text and shop_a.draft.title in text
    assert shop_b.sku.code not in text and shop_b.product.title not in text


def test_exported_text_cells_cannot_run_formulas(shop_a: Shop) -> None:
    Product.objects.filter(pk=shop_a.product.pk).update(
        title='=HYPERLINK("http://x")', title_en="+1", description="@SUM(A1)"
    )

    text = imports.catalogue_export(merchant=shop_a.merchant, file_format="csv").decode("utf-8-sig")
    book = openpyxl.load_workbook(
        io.BytesIO(imports.catalogue_export(merchant=shop_a.merchant, file_format="xlsx"))
    )
    cells = [cell.value for row in book.active.iter_rows() for cell in row]

    assert "'=HYPERLINK" in text and "'+1" in text and "'@SUM(A1)" in text
    assert '\'=HYPERLINK("http://x")' in cells
    assert not any(isinstance(cell, str) and cell.startswith(("=", "+", "@")) for cell in cells)


def test_the_export_writes_prices_as_exact_numbers_and_re_imports_unchanged(shop_a: Shop) -> None:
    data = imports.catalogue_export(merchant=shop_a.merchant, file_format="xlsx")
    book = openpyxl.load_workbook(io.BytesIO(data))
    header = [cell.value for cell in next(book.active.iter_rows())]
    assert header == imports.CATALOGUE_COLUMNS

    job = imports.import_job_create(
        user=shop_a.owner,
        kind=ImportJob.Kind.CATALOGUE,
        upload=SimpleUploadedFile("back.xlsx", data),
    )
    job = apply(imports.import_job_check(job_id=job.pk))

    assert (job.status, job.report["update"], job.report["new"]) == (ImportJob.Status.APPLIED, 2, 0)
    shop_a.sku.refresh_from_db()
    assert shop_a.sku.price == Decimal("100.00")


# --- the tracking import -------------------------------------------------------------


def tracking_csv(*rows: str) -> str:
    return "\n".join(["order_number,carrier,tracking_number", *rows]) + "\n"


def test_tracking_numbers_ship_the_orders_through_the_ship_service(shop_a: Shop) -> None:
    job = check(
        shop_a,
        tracking_csv(f"{shop_a.order.number},SF,SF1234567890"),
        ImportJob.Kind.TRACKING,
        "t.csv",
    )
    assert job.status == ImportJob.Status.CHECKED
    assert Order.objects.get(pk=shop_a.order.pk).shipped_at is None  # the dry run

    job = apply(job)

    order = Order.objects.get(pk=shop_a.order.pk)
    assert (job.status, order.status, order.carrier, order.tracking_number) == (
        ImportJob.Status.APPLIED,
        Order.Status.SHIPPED,
        "顺丰速运",
        "SF1234567890",
    )
    assert OrderEvent.objects.filter(order=order, note="顺丰速运 SF1234567890").exists()


def test_each_bad_tracking_row_says_why_and_nothing_ships(shop_a: Shop, shop_b: Shop) -> None:
    shipped = shop_a.refunded_order
    text = tracking_csv(
        f"{shop_a.order.number},SF,SF1",
        "NOPE-1,SF,SF2",
        f"{shop_b.order.number},SF,SF3",
        f"{shipped.number},pigeon,SF4",
    )
    orders.order_ship(order=shipped, carrier="顺丰速运", tracking_number="SF0")

    job = check(shop_a, text, ImportJob.Kind.TRACKING, "t.csv")

    assert lines_with_errors(job) == {
        3: "order_number: No order “NOPE-1” in your shop.",
        4: f"order_number: No order “{shop_b.order.number}” in your shop.",
        5: "order_number: The order is Shipped: only a paid order that has not shipped can ship."
        " | carrier: Unknown carrier “pigeon”: use one of " + ", ".join(imports.CARRIERS) + ".",
    }
    assert not Order.objects.filter(status=Order.Status.SHIPPED).exclude(pk=shipped.pk).exists()


def test_a_tracking_row_failing_at_apply_unships_the_rows_before_it(shop_a: Shop) -> None:
    job = check(
        shop_a,
        tracking_csv(f"{shop_a.order.number},SF,SF1", f"{shop_a.refunded_order.number},ZTO,ZT2"),
        ImportJob.Kind.TRACKING,
        "t.csv",
    )
    imports.import_job_apply(job=job)
    orders.order_ship(order=shop_a.refunded_order, carrier="顺丰速运", tracking_number="SF0")

    job = imports.import_job_run(job_id=job.pk)

    assert job.status == ImportJob.Status.FAILED
    assert Order.objects.get(pk=shop_a.order.pk).shipped_at is None
    assert not OrderEvent.objects.filter(note="顺丰速运 SF1").exists()


def test_carriers_are_known_by_name_or_code() -> None:
    assert [imports.carrier_name(text) for text in ("sf", "顺丰", "ZTO", "中通快递", "x")] == [
        "顺丰速运",
        "顺丰速运",
        "中通快递",
        "中通快递",
        None,
    ]


# --- the job ---------------------------------------------------------------------------


def test_a_repeated_apply_task_applies_nothing_twice(shop_a: Shop) -> None:
    job = apply(check(shop_a, catalogue_csv(shop_a, new_product_row(shop_a))))

    assert imports.import_job_run(job_id=job.pk) is None
    assert Product.objects.filter(title="新礼盒").count() == 1


@pytest.fixture
def published(monkeypatch) -> list[tuple]:
    """The tasks published, none sent (in a transactional test, on_commit hooks run too)."""
    sent: list[tuple] = []
    monkeypatch.setattr(
        imports, "publish", lambda task, *args: sent.append((task.name, args)) or True
    )
    return sent


def _as_a_page_view(read: Callable[[], object]) -> object:
    """`read()` on a connection of its own, outside the apply's transaction, as a page view
    is while a worker applies; a lock it would wait for fails it after a second."""
    seen = []

    def run() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '1s'")
            seen.append(read())
        except Exception as error:  # the test asserts on it
            seen.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return seen[0]


@pytest.mark.django_db(transaction=True)
def test_the_applys_progress_is_readable_outside_its_transaction_as_it_goes(
    shop_a: Shop, monkeypatch, published: list[tuple]
) -> None:
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 1)
    rows = [new_product_row(shop_a, code=f"GIFT-{n}") for n in range(3)]
    job = imports.import_job_apply(job=check(shop_a, catalogue_csv(shop_a, *rows)))
    seen = []

    def page_reads(done: int) -> None:
        seen.append(
            _as_a_page_view(
                lambda: selectors.import_job_done_rows(ImportJob.objects.get(pk=job.pk))
            )
        )

    job = imports.import_job_run(job_id=job.pk, on_progress=page_reads)

    assert job.status == ImportJob.Status.APPLIED
    assert seen == [1, 2, 3]


@pytest.mark.django_db(transaction=True)
def test_a_page_view_during_a_long_apply_neither_waits_for_it_nor_publishes_it_again(
    shop_a: Shop, monkeypatch, published: list[tuple]
) -> None:
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 1)
    job = imports.import_job_apply(
        job=check(shop_a, catalogue_csv(shop_a, new_product_row(shop_a)))
    )
    later = job.updated_at + imports.STALE_AFTER * 2  # the apply has run for long
    published.clear()  # the merchant's apply
    nudged = []

    def page_nudges(done: int) -> None:
        nudged.append(
            _as_a_page_view(
                lambda: imports.import_job_nudge(job=ImportJob.objects.get(pk=job.pk), now=later)
            )
        )

    imports.import_job_run(job_id=job.pk, on_progress=page_nudges)

    assert nudged == [False]
    assert published == []


def test_a_running_job_left_alone_is_published_again(shop_a: Shop, published: list[tuple]) -> None:
    job = imports.import_job_create(
        user=shop_a.owner,
        kind=ImportJob.Kind.CATALOGUE,
        upload=upload(catalogue_csv(shop_a, new_product_row(shop_a))),
    )

    assert not imports.import_job_nudge(job=job)
    assert imports.import_job_nudge(job=job, now=job.updated_at + imports.STALE_AFTER * 2)
    assert published == [("merchants.tasks.import_job_check_task", (job.pk,))]


def test_the_readmes_example_file_imports_cleanly(shop_a: Shop) -> None:
    shop_a.merchant.categories.add(CategoryFactory(slug="coffee"))
    text = (Path(__file__).parents[1] / "fixtures" / "catalogue-import-example.csv").read_text()

    job = check(shop_a, text)

    assert (job.status, job.report["new"]) == (ImportJob.Status.CHECKED, 2)


def test_the_report_is_in_the_uploaders_language_whatever_the_workers(shop_a: Shop) -> None:
    with translation.override("zh-hans"):
        job = imports.import_job_create(
            user=shop_a.owner,
            kind=ImportJob.Kind.CATALOGUE,
            upload=upload(catalogue_csv(shop_a, new_product_row(shop_a, price="abc"))),
        )

    job = imports.import_job_check(job_id=job.pk)  # the test runs in English

    assert lines_with_errors(job) == {2: "price: “abc”不是价格。"}


def test_a_column_left_out_of_the_file_leaves_that_text_as_it_is(shop_a: Shop) -> None:
    sku = shop_a.sku
    text = f"sku_id,product_title,category,sku_code,price\n{sku.pk},{sku.product.title},{shop_a.category.slug},{sku.code},99.00\n"

    apply(check(shop_a, text))

    sku.product.refresh_from_db()
    assert (sku.product.title_en, sku.product.description) == ("Product A", "好东西。")
