"""The back office's pages: imports and exports, and the orders waiting to ship."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from gifting import changes
from merchants import imports
from merchants.models import ImportJob
from shop.orders import services as orders
from tests.changes import NEW_ADDRESS, accepted_claim
from tests.merchants.adminforms import messages_of
from tests.merchants.world import Shop, merchant_user

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("backoffice:catalogue_import")
TRACKING_URL = reverse("backoffice:tracking_import")
TO_SHIP_URL = reverse("backoffice:orders_to_ship")


@pytest.fixture
def as_a(client: Client, shop_a: Shop, shop_b: Shop) -> Client:
    client.force_login(shop_a.owner)
    return client


def catalogue_file(shop: Shop, price: str = "128.00", skus: int = 1) -> SimpleUploadedFile:
    rows = "".join(
        f",新礼盒,,{shop.category.slug},,,GIFT-{n},,{price},7,1\n" for n in range(1, skus + 1)
    )
    text = ",".join(imports.CATALOGUE_COLUMNS) + "\n" + rows
    return SimpleUploadedFile("catalogue.csv", text.encode())


def job_url(job: ImportJob) -> str:
    return reverse("backoffice:import_job", args=[job.pk])


def test_an_upload_becomes_a_job_whose_page_shows_its_progress(as_a: Client, shop_a: Shop) -> None:
    response = as_a.post(IMPORT_URL, {"file": catalogue_file(shop_a)})

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job_url(job)
    page = as_a.get(job_url(job)).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert '<progress class="backoffice-progress" value="0" max="1">' in page


def test_a_checked_job_lists_its_row_errors_and_offers_a_new_upload(
    as_a: Client, shop_a: Shop
) -> None:
    as_a.post(IMPORT_URL, {"file": catalogue_file(shop_a, price="abc")})
    job = imports.import_job_check(job_id=ImportJob.objects.get().pk)

    page = as_a.get(job_url(job)).content.decode()

    assert "“abc” is not a price." in page and "<td>2</td>" in page
    assert 'value="Apply"' not in page
    assert f'action="{IMPORT_URL}"' in page
    assert "refresh" not in page


def test_a_clean_job_is_applied_by_its_apply_button(as_a: Client, shop_a: Shop) -> None:
    as_a.post(IMPORT_URL, {"file": catalogue_file(shop_a)})
    job = imports.import_job_check(job_id=ImportJob.objects.get().pk)
    assert "applying adds 1 and updates 0" in as_a.get(job_url(job)).content.decode()

    response = as_a.post(job_url(job))

    job.refresh_from_db()
    assert response.status_code == 302 and job.status == ImportJob.Status.APPLYING
    page = as_a.get(job_url(job)).content.decode()
    assert "Writing 1 row in one go" in page and '<meta http-equiv="refresh"' in page


def test_an_applying_jobs_page_shows_the_rows_written_so_far(
    as_a: Client, shop_a: Shop, monkeypatch
) -> None:
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 1)
    as_a.post(IMPORT_URL, {"file": catalogue_file(shop_a, skus=2)})
    job = imports.import_job_check(job_id=ImportJob.objects.get().pk)
    as_a.post(job_url(job))
    pages = []

    imports.import_job_run(
        job_id=job.pk,
        on_progress=lambda done: pages.append(as_a.get(job_url(job)).content.decode()),
    )

    assert "1 of 2 rows written, in one go" in pages[0]
    assert '<progress class="backoffice-progress" value="1" max="2">' in pages[0]


def test_an_oversized_upload_is_a_form_error(as_a: Client, shop_a: Shop, settings) -> None:
    settings.IMPORT_MAX_BYTES = 50

    response = as_a.post(IMPORT_URL, {"file": catalogue_file(shop_a)})

    assert response.status_code == 200
    assert "an import file may be at most 50" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_another_shops_job_page_is_not_found(client: Client, shop_a: Shop, shop_b: Shop) -> None:
    client.force_login(shop_a.owner)
    client.post(IMPORT_URL, {"file": catalogue_file(shop_a)})
    job = ImportJob.objects.get()
    client.force_login(shop_b.owner)

    assert client.get(job_url(job)).status_code == 404
    assert client.post(job_url(job)).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKING


def test_operators_have_no_shop_to_import_into(client: Client, operator: object) -> None:
    client.force_login(operator)

    assert client.get(IMPORT_URL).status_code == 403
    assert client.get(TRACKING_URL).status_code == 403


def test_the_export_download_holds_only_the_shops_own_skus(
    as_a: Client, shop_a: Shop, shop_b: Shop
) -> None:
    response = as_a.get(reverse("backoffice:catalogue_export", args=["csv"]))

    text = response.content.decode("utf-8-sig")
    assert response["Content-Disposition"] == 'attachment; filename="products.csv"'
    assert shop_a.sku.code in text and shop_b.sku.code not in text


def test_the_xlsx_export_is_a_workbook(as_a: Client) -> None:
    response = as_a.get(reverse("backoffice:catalogue_export", args=["xlsx"]))

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response.content[:2] == b"PK"


def test_an_unknown_export_format_is_not_found(as_a: Client) -> None:
    assert as_a.get(reverse("backoffice:catalogue_export", args=["xls"])).status_code == 404


def test_the_tracking_upload_checks_order_numbers_of_the_shop(
    as_a: Client, shop_a: Shop, shop_b: Shop
) -> None:
    text = f"order_number,carrier,tracking_number\n{shop_b.order.number},SF,SF1\n"
    as_a.post(TRACKING_URL, {"file": SimpleUploadedFile("t.csv", text.encode())})
    job = imports.import_job_check(job_id=ImportJob.objects.get().pk)

    assert job.kind == ImportJob.Kind.TRACKING
    assert (
        f"No order “{shop_b.order.number}” in your shop." in as_a.get(job_url(job)).content.decode()
    )


# --- orders to ship --------------------------------------------------------------------


def test_orders_to_ship_lists_the_shops_paid_unshipped_orders_only(
    as_a: Client, shop_a: Shop, shop_b: Shop
) -> None:
    orders.order_ship(order=shop_a.refunded_order, carrier="顺丰速运", tracking_number="SF9")

    page = as_a.get(TO_SHIP_URL).content.decode()

    assert shop_a.order.number in page
    assert shop_a.refunded_order.number not in page
    assert shop_b.order.number not in page and shop_b.refunded_order.number not in page


def test_gift_orders_are_marked_and_a_waiting_change_shows_its_deadline(client: Client) -> None:
    claim = accepted_claim(client)
    change = changes.address_change_request(claim=claim, address=NEW_ADDRESS)
    client.force_login(merchant_user(claim.order.merchant))

    page = client.get(TO_SHIP_URL).content.decode()

    assert claim.order.number in page
    assert 'backoffice-badge backoffice-gift">Gift<' in page
    assert "answer by " + change.due_at.astimezone().strftime("%Y-%m-%d") in page
    assert reverse("admin:orders_changerequest_change", args=[change.pk]) in page


def test_the_chosen_orders_packing_slips_print_as_a_pdf(as_a: Client, shop_a: Shop) -> None:
    response = as_a.post(
        reverse("admin:orders_order_changelist"),
        {"index": "0", "action": "print_packing_slips", "_selected_action": [shop_a.order.pk]},
    )

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_another_shops_order_posted_from_the_list_prints_nothing(
    as_a: Client, shop_a: Shop, shop_b: Shop
) -> None:
    response = as_a.post(
        reverse("admin:orders_order_changelist"),
        {
            "index": "0",
            "action": "print_pick_list",
            "_selected_action": [shop_a.order.pk, shop_b.order.pk],
        },
        follow=True,
    )

    assert response["Content-Type"].startswith("text/html")
    assert "Some of the chosen orders are not your shop's; nothing was printed." in messages_of(
        response
    )
