"""Bulk import of sold units (warranty/services/imports.py): the service, the task, the API and the admin pages.

Row numbers are those the user sees in the sheet: the header is row 1, the first unit row 2.
"""

from __future__ import annotations

import csv
import io
import threading
from datetime import date, datetime

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from aftersales.core.models import Customer
from aftersales.core.services import customer_create
from warranty.choices import SalesChannel, UnitImportMode, UnitImportStatus
from warranty.models import ProductCategory, ProductModel, RegisteredUnit, UnitImport
from warranty.services import imports, unit_register
from warranty.services.imports import unit_import_create, unit_import_run, unit_import_submit
from warranty.tasks import unit_import_run_task

D = date.fromisoformat
HEADER = [
    "serial",
    "model",
    "purchase_date",
    "sales_channel",
    "install_date",
    "customer_name",
    "customer_phone",
    "customer_email",
    "address",
]
IMPORT_URL = "/api/v1/warranty/units/import/"


# --- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def catalogue(db):
    category = ProductCategory.objects.create(code="ac", name="Air conditioners")
    software = ProductCategory.objects.create(code="software", name="Software")
    return {
        "ac": ProductModel.objects.create(code="KFR-35GW", name="Split air conditioner", category=category),
        "licence": ProductModel.objects.create(
            code="SW-PRO", name="Pro licence", category=software, kind="software", serial_case_sensitive=True
        ),
    }


def csv_bytes(rows, header=HEADER, *, encoding="utf-8", delimiter=",") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def csv_upload(rows, header=HEADER, *, name="units.csv", **options) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_bytes(rows, header, **options), content_type="text/csv")


def xlsx_upload(rows, header=HEADER, *, name="units.xlsx") -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(
        name, buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def run(upload, mode=UnitImportMode.ALL_OR_NOTHING, actor=None) -> UnitImport:
    unit_import = unit_import_create(upload=upload, mode=mode, actor=actor)
    return unit_import_run(unit_import_id=unit_import.pk)


def problems(unit_import: UnitImport) -> set[tuple]:
    return {(error["row"], error["field"], error["code"]) for error in unit_import.errors}


def unit_row(serial, *, model="KFR-35GW", purchase="2025-03-01", channel="", installed="", customer=("", "", "", "")):
    return [serial, model, purchase, channel, installed, *customer]


# --- good files -----------------------------------------------------------------------------


def test_a_good_csv_imports_every_row(catalogue, make_user):
    agent = make_user("agent")
    upload = csv_upload(
        [
            unit_row("kfr-0001", channel="online", installed="2025-03-05", customer=("张伟", "13800138000", "", "")),
            unit_row("KFR-0002", purchase="2025/3/2", customer=("李娜", "139 0013 9000", "li@example.com", "上海")),
            unit_row("Ab-1", model="sw-pro", channel="DIRECT"),
        ]
    )

    unit_import = run(upload, actor=agent)

    assert unit_import.status == UnitImportStatus.SUCCEEDED
    assert (unit_import.total_rows, unit_import.processed_rows, unit_import.imported_rows) == (3, 3, 3)
    assert (unit_import.error_count, unit_import.errors, unit_import.percent) == (0, [], 100)
    assert unit_import.created_by == agent and unit_import.original_name == "units.csv"
    assert unit_import.started_at <= unit_import.finished_at
    first = RegisteredUnit.objects.get(serial="KFR-0001")  # case folded as the model says
    assert (first.purchase_date, first.install_date, first.sales_channel) == (
        D("2025-03-01"),
        D("2025-03-05"),
        "online",
    )
    assert first.customer.name == "张伟" and first.customer.phone == "13800138000"
    second = RegisteredUnit.objects.get(serial="KFR-0002")
    assert second.purchase_date == D("2025-03-02") and second.sales_channel == SalesChannel.RETAIL_STORE
    assert (second.customer.phone, second.customer.email, second.customer.address) == (
        "13900139000",
        "li@example.com",
        "上海",
    )
    licence = RegisteredUnit.objects.get(serial="Ab-1")  # case kept: the model's serials are case-sensitive
    assert licence.product_model == catalogue["licence"] and licence.customer is None
    assert licence.sales_channel == SalesChannel.DIRECT


def test_the_stored_file_has_a_random_name(catalogue):
    unit_import = run(csv_upload([unit_row("KFR-0001")], name="../../etc/销售.csv"))

    assert unit_import.original_name == "销售.csv"
    assert unit_import.file.name.startswith("imports/") and unit_import.file.name.endswith(".csv")
    assert "销售" not in unit_import.file.name


def test_a_good_xlsx_imports_date_cells_and_numbers(catalogue):
    upload = xlsx_upload(
        [
            # Real date cells, a serial and a phone typed as numbers.
            [20250001, "KFR-35GW", datetime(2025, 3, 1), "retail_store", date(2025, 3, 4), "王芳", 13700137000],
            ["KFR-0002", "KFR-35GW", "2025-03-02", None, None, None, None, None, None],
            [None] * 9,  # blank rows are skipped
            ["KFR-0003", "KFR-35GW", "2025/03/03 00:00:00", "project"],
        ]
    )

    unit_import = run(upload)

    assert unit_import.status == UnitImportStatus.SUCCEEDED, unit_import.errors
    assert unit_import.imported_rows == 3 and unit_import.total_rows == 3
    numeric = RegisteredUnit.objects.get(serial="20250001")
    assert (numeric.purchase_date, numeric.install_date) == (D("2025-03-01"), D("2025-03-04"))
    assert numeric.customer.phone == "13700137000" and numeric.customer.name == "王芳"
    assert RegisteredUnit.objects.get(serial="KFR-0003").sales_channel == SalesChannel.PROJECT


def test_xlsx_row_numbers_are_the_sheet_rows(catalogue):
    unit_import = run(xlsx_upload([unit_row("KFR-0001"), [None] * 9, unit_row("KFR-0002", purchase="soon")]))

    assert problems(unit_import) == {(4, "purchase_date", "invalid_date")}


def test_gb18030_csv_with_chinese_headers(catalogue):
    header = ["序列号", "型号", "购买日期", "销售渠道", "安装日期", "客户姓名", "客户电话", "客户邮箱", "地址"]
    raw = csv_bytes(
        [["KFR-0001", "KFR-35GW", "2025/03/01", "online", "", "陈静", "13600136000", "", "广州市天河区"]],
        header,
        encoding="gb18030",
    )
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the point of the test: Excel's default CSV in Chinese Windows

    unit_import = run(SimpleUploadedFile("销售.csv", raw))

    assert unit_import.status == UnitImportStatus.SUCCEEDED, unit_import.errors
    unit = RegisteredUnit.objects.select_related("customer").get(serial="KFR-0001")
    assert (unit.customer.name, unit.customer.address) == ("陈静", "广州市天河区")


def test_utf8_csv_with_a_bom_and_mixed_header_spelling(catalogue):
    header = ["Serial", "MODEL", "Purchase Date", "客户电话", "客户姓名", "notes"]
    raw = b"\xef\xbb\xbf" + csv_bytes(
        [["KFR-0001", "kfr-35gw", "2025-03-01", "13500135000", "周杰", "ignored"]], header
    )

    unit_import = run(SimpleUploadedFile("units.csv", raw))

    assert unit_import.status == UnitImportStatus.SUCCEEDED, unit_import.errors
    assert RegisteredUnit.objects.get(serial="KFR-0001").customer.name == "周杰"


def test_semicolon_separated_csv(catalogue):
    unit_import = run(csv_upload([unit_row("KFR-0001")], delimiter=";"))

    assert unit_import.status == UnitImportStatus.SUCCEEDED


# --- row errors -----------------------------------------------------------------------------


def test_every_kind_of_row_error_names_its_row_and_column(catalogue):
    customer_create(name="老客户", phone="13800138000")
    rows = [
        unit_row("KFR-0001"),  # row 2: fine
        unit_row("KFR-0002", model="NOPE"),
        unit_row("", purchase="2025-03-01"),
        unit_row("KFR-0004", purchase=""),
        unit_row("KFR-0005", purchase="01.03.2025"),
        unit_row("KFR-0006", purchase="2025-02-30"),
        unit_row("KFR-0007", purchase="2999-01-01"),
        unit_row("KFR-0008", purchase="2025-03-01", installed="2025-02-01"),
        unit_row("KFR-0009", installed="tomorrow"),
        unit_row("KFR-0010", channel="flea market"),
        unit_row("KFR-0011", customer=("张三", "12ab", "", "")),
        unit_row("KFR-0012", customer=("张三", "13100131000", "not-an-email", "")),
        unit_row("KFR-0013", customer=("", "13200132000", "", "")),  # unknown phone, no name
        unit_row("KFR-0014", customer=("张三", "", "", "北京")),  # details but no phone
        unit_row("X" * 65),
        unit_row("KFR-0016", model=""),
        unit_row("KFR-0017", customer=("", "138-0013-8000", "", "")),  # known phone: no name needed
    ]

    unit_import = run(csv_upload(rows))

    assert unit_import.status == UnitImportStatus.FAILED
    assert problems(unit_import) == {
        (3, "model", "unknown_model"),
        (4, "serial", "required"),
        (5, "purchase_date", "required"),
        (6, "purchase_date", "invalid_date"),
        (7, "purchase_date", "invalid_date"),
        (8, "purchase_date", "future_date"),
        (9, "install_date", "install_before_purchase"),
        (10, "install_date", "invalid_date"),
        (11, "sales_channel", "invalid_choice"),
        (12, "customer_phone", "invalid_phone"),
        (13, "customer_email", "invalid_email"),
        (14, "customer_name", "required"),
        (15, "customer_phone", "required"),
        (16, "serial", "too_long"),
        (17, "model", "required"),
    }
    assert unit_import.error_count == 15 and unit_import.imported_rows == 0
    assert all(error["message"] for error in unit_import.errors)
    assert [error["row"] for error in unit_import.errors] == sorted(error["row"] for error in unit_import.errors)


def test_duplicate_serials_in_the_file_and_in_the_database(catalogue):
    unit_register(serial="KFR-0001", product_model=catalogue["ac"], purchase_date=D("2024-01-01"))
    rows = [
        unit_row("kfr-0001"),  # row 2: registered already (after case folding)
        unit_row("KFR-0002"),  # row 3
        unit_row(" kfr-0002 "),  # row 4: same serial as row 3 once normalised
        unit_row("Ab-1", model="SW-PRO"),  # row 5
        unit_row("AB-1", model="SW-PRO"),  # row 6: another serial, the model is case-sensitive
        unit_row("Ab-1", model="SW-PRO"),  # row 7: repeats row 5
    ]

    unit_import = run(csv_upload(rows), mode=UnitImportMode.VALID_ONLY)

    assert problems(unit_import) == {
        (2, "serial", "serial_registered"),
        (4, "serial", "duplicate_serial"),
        (7, "serial", "duplicate_serial"),
    }
    messages = {error["row"]: error["message"] for error in unit_import.errors}
    assert "3" in messages[4] and "5" in messages[7]  # which row it repeats
    assert unit_import.status == UnitImportStatus.SUCCEEDED and unit_import.imported_rows == 3
    assert set(RegisteredUnit.objects.values_list("serial", flat=True)) == {"KFR-0001", "KFR-0002", "Ab-1", "AB-1"}


def test_all_or_nothing_imports_nothing_when_one_row_is_invalid(catalogue):
    rows = [unit_row(f"KFR-{n:04}", customer=("客户", f"1380000{n:04}", "", "")) for n in range(1, 50)]
    rows.append(unit_row("KFR-9999", purchase="2025-13-01"))

    unit_import = run(csv_upload(rows))

    assert unit_import.status == UnitImportStatus.FAILED
    assert problems(unit_import) == {(51, "purchase_date", "invalid_date")}
    assert (unit_import.processed_rows, unit_import.imported_rows) == (50, 0)
    assert not RegisteredUnit.objects.exists() and not Customer.objects.exists()


def test_valid_only_imports_the_valid_rows_and_reports_the_others(catalogue):
    rows = [
        unit_row("KFR-0001", customer=("甲", "13800000001", "", "")),
        unit_row("KFR-0002", model="NOPE", customer=("乙", "13800000002", "", "")),
        unit_row("KFR-0003"),
        unit_row("KFR-0004", purchase="2999-01-01"),
    ]

    unit_import = run(csv_upload(rows), mode=UnitImportMode.VALID_ONLY)

    assert unit_import.status == UnitImportStatus.SUCCEEDED
    assert (unit_import.imported_rows, unit_import.error_count) == (2, 2)
    assert problems(unit_import) == {(3, "model", "unknown_model"), (5, "purchase_date", "future_date")}
    assert set(RegisteredUnit.objects.values_list("serial", flat=True)) == {"KFR-0001", "KFR-0003"}
    # The invalid row's customer is not created: nothing of that row is imported.
    assert list(Customer.objects.values_list("phone", flat=True)) == ["13800000001"]


def test_valid_only_without_a_single_valid_row_is_rejected(catalogue):
    unit_import = run(csv_upload([unit_row("KFR-0001", model="NOPE")]), mode=UnitImportMode.VALID_ONLY)

    assert unit_import.status == UnitImportStatus.FAILED and unit_import.imported_rows == 0


def test_stored_errors_are_capped_but_all_are_counted(catalogue):
    rows = [unit_row(f"KFR-{n:05}", model="NOPE") for n in range(1200)]

    unit_import = run(csv_upload(rows))

    assert unit_import.error_count == 1200
    assert len(unit_import.errors) == UnitImport.ERRORS_KEPT and unit_import.errors_truncated
    assert unit_import.errors[0]["row"] == 2


# --- customers ------------------------------------------------------------------------------


def test_customers_are_matched_by_phone_and_created_once(catalogue):
    existing = customer_create(name="老客户", phone="13800138000")
    rows = [
        unit_row("KFR-0001", customer=("别的名字", "138 0013 8000", "", "")),  # matched, not renamed
        unit_row("KFR-0002", customer=("新客户", "13900139000", "new@example.com", "深圳")),
        unit_row("KFR-0003", customer=("", "139-0013-9000", "", "")),  # the new customer again
        unit_row("KFR-0004", customer=("又一个名字", "13900139000", "", "")),
    ]

    unit_import = run(csv_upload(rows))

    assert unit_import.status == UnitImportStatus.SUCCEEDED, unit_import.errors
    assert Customer.objects.count() == 2
    existing.refresh_from_db()
    assert existing.name == "老客户"
    assert set(RegisteredUnit.objects.filter(customer=existing).values_list("serial", flat=True)) == {"KFR-0001"}
    new = Customer.objects.get(phone="13900139000")
    assert (new.name, new.email, new.address) == ("新客户", "new@example.com", "深圳")
    assert new.units.count() == 3


def test_queries_do_not_grow_with_the_rows(catalogue, django_assert_max_num_queries):
    rows = [unit_row(f"KFR-{n:05}", customer=("客户", f"138{n:08}", "", "")) for n in range(4500)]
    unit_import = unit_import_create(upload=csv_upload(rows), mode=UnitImportMode.ALL_OR_NOTHING)

    # 3 chunks checked (2 lookups and a progress update each), customers and units in 1 batch each.
    with django_assert_max_num_queries(30):
        unit_import = unit_import_run(unit_import_id=unit_import.pk)

    assert unit_import.imported_rows == 4500 and Customer.objects.count() == 4500


def test_five_thousand_rows_import_in_batches(catalogue):
    rows = [
        unit_row(f"KFR-{n:05}", channel="online", customer=(f"客户{n % 700}", f"1390000{n % 700:04}", "", ""))
        for n in range(5000)
    ]

    unit_import = run(csv_upload(rows))

    assert unit_import.status == UnitImportStatus.SUCCEEDED
    assert (unit_import.total_rows, unit_import.imported_rows) == (5000, 5000)
    assert RegisteredUnit.objects.count() == 5000 and Customer.objects.count() == 700


# --- the file as a whole --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("units.txt", b"serial,model\n", "file_type"),
        ("units.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "file_type"),
        ("units.csv", b"", "file_empty"),
        ("units.csv", "serial,model\n".encode("utf-16"), "file_content"),  # UTF-16 has NUL bytes
        ("units.xlsx", b"serial,model,purchase_date\n", "file_content"),  # not a ZIP archive
    ],
)
def test_files_of_the_wrong_type_are_refused_before_anything_is_stored(catalogue, name, content, code):
    with pytest.raises(ValidationError) as error:
        unit_import_create(upload=SimpleUploadedFile(name, content), mode=UnitImportMode.ALL_OR_NOTHING)

    assert [item.code for item in error.value.error_dict["file"]] == [code]
    assert not UnitImport.objects.exists()


def test_files_over_the_size_limit_are_refused(catalogue, settings):
    settings.WARRANTY_IMPORT_MAX_BYTES = 100

    with pytest.raises(ValidationError) as error:
        unit_import_create(upload=csv_upload([unit_row(f"KFR-{n}") for n in range(10)]))

    assert error.value.error_dict["file"][0].code == "file_size"


@pytest.mark.parametrize(
    ("upload", "expected"),
    [
        (SimpleUploadedFile("units.csv", b"serial,model\n\xff\xfe\xff,KFR\n"), {(None, None, "file_encoding")}),
        (
            SimpleUploadedFile("units.csv", b"serial,purchase\nKFR-1,2025-01-01\n"),
            {(1, "model", "missing_column"), (1, "purchase_date", "missing_column")},
        ),
        (
            SimpleUploadedFile("units.csv", "serial,序列号,model,purchase_date\n".encode()),
            {(1, "serial", "duplicate_column")},
        ),
        (SimpleUploadedFile("units.csv", b"serial,model,purchase_date\n\n,,\n"), {(None, None, "no_rows")}),
        (SimpleUploadedFile("units.csv", b"\n\n\n"), {(None, None, "no_rows")}),
        (SimpleUploadedFile("units.xlsx", b"PK\x03\x04 not really a zip archive"), {(None, None, "file_content")}),
    ],
    ids=["undecodable", "missing-columns", "duplicate-column", "header-only", "blank", "broken-xlsx"],
)
def test_unreadable_files_are_rejected_with_a_reason(catalogue, upload, expected):
    unit_import = run(upload)

    assert unit_import.status == UnitImportStatus.FAILED
    assert problems(unit_import) == expected
    assert unit_import.imported_rows == 0


def test_a_crash_is_recorded_on_the_job_and_imports_nothing(catalogue, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(imports, "_write_units", broken)

    unit_import = run(csv_upload([unit_row("KFR-0001", customer=("甲", "13800000001", "", ""))]))

    assert unit_import.status == UnitImportStatus.ERROR
    assert problems(unit_import) == {(None, None, "internal")}
    assert "disk on fire" not in unit_import.errors[0]["message"]
    assert not RegisteredUnit.objects.exists() and not Customer.objects.exists()


# --- running again, concurrency ---------------------------------------------------------------


def test_running_a_finished_job_again_does_nothing(catalogue):
    unit_import = run(csv_upload([unit_row("KFR-0001")]))

    again = unit_import_run(unit_import_id=unit_import.pk)

    assert again.status == UnitImportStatus.SUCCEEDED and again.finished_at == unit_import.finished_at
    assert RegisteredUnit.objects.count() == 1


def test_a_job_abandoned_by_a_dead_worker_is_run_again_after_the_time_limit(catalogue, time_machine):
    time_machine.move_to(datetime.fromisoformat("2026-01-10T09:00:00+08:00"), tick=False)
    unit_import = unit_import_create(upload=csv_upload([unit_row("KFR-0001")]))
    UnitImport.objects.filter(pk=unit_import.pk).update(status=UnitImportStatus.RUNNING, started_at=imports.clock.now())

    assert unit_import_run(unit_import_id=unit_import.pk).status == UnitImportStatus.RUNNING  # maybe still alive

    time_machine.move_to(datetime.fromisoformat("2026-01-10T10:00:00+08:00"), tick=False)
    assert unit_import_run(unit_import_id=unit_import.pk).status == UnitImportStatus.SUCCEEDED


def _register_meanwhile(monkeypatch, catalogue, serial):
    """Someone registers ``serial`` after the check and before the write."""
    write = imports._write

    def write_after_a_rival(unit_import, checker, processed):
        unit_register(serial=serial, product_model=catalogue["ac"], purchase_date=D("2024-01-01"))
        write(unit_import, checker, processed)

    monkeypatch.setattr(imports, "_write", write_after_a_rival)


def test_a_serial_registered_between_check_and_write_rejects_an_all_or_nothing_import(catalogue, monkeypatch):
    _register_meanwhile(monkeypatch, catalogue, "KFR-0002")

    unit_import = run(csv_upload([unit_row("KFR-0001", customer=("甲", "13800000001", "", "")), unit_row("KFR-0002")]))

    assert unit_import.status == UnitImportStatus.FAILED
    assert problems(unit_import) == {(3, "serial", "serial_registered")}
    assert list(RegisteredUnit.objects.values_list("serial", flat=True)) == ["KFR-0002"]  # the rival's only
    assert not Customer.objects.exists()


def test_a_serial_registered_between_check_and_write_is_left_out_of_a_valid_only_import(catalogue, monkeypatch):
    _register_meanwhile(monkeypatch, catalogue, "KFR-0002")

    unit_import = run(csv_upload([unit_row("KFR-0001"), unit_row("KFR-0002")]), mode=UnitImportMode.VALID_ONLY)

    assert unit_import.status == UnitImportStatus.SUCCEEDED and unit_import.imported_rows == 1
    assert problems(unit_import) == {(3, "serial", "serial_registered")}


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_imports_of_the_same_serial_insert_it_once(monkeypatch, media_root):
    category = ProductCategory.objects.create(code="ac", name="Air conditioners")
    ProductModel.objects.create(code="KFR-35GW", name="Split air conditioner", category=category)
    first = unit_import_create(upload=csv_upload([unit_row("KFR-0001"), unit_row("KFR-SHARED")]))
    second = unit_import_create(upload=csv_upload([unit_row("KFR-0002"), unit_row("KFR-SHARED")]))
    both_checked = threading.Barrier(2, timeout=20)
    write = imports._write

    def write_together(unit_import, checker, processed):
        both_checked.wait()  # both have checked: neither saw the other's serial in the database
        write(unit_import, checker, processed)

    monkeypatch.setattr(imports, "_write", write_together)
    outcomes = {}

    def import_in_thread(unit_import_id):
        try:
            outcomes[unit_import_id] = unit_import_run(unit_import_id=unit_import_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=import_in_thread, args=(job.pk,)) for job in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(outcome.status for outcome in outcomes.values())
    assert statuses == [UnitImportStatus.FAILED, UnitImportStatus.SUCCEEDED]
    loser = next(outcome for outcome in outcomes.values() if outcome.status == UnitImportStatus.FAILED)
    assert problems(loser) == {(3, "serial", "serial_registered")}
    assert RegisteredUnit.objects.filter(serial="KFR-SHARED").count() == 1
    assert RegisteredUnit.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_to_other_connections_during_both_passes(monkeypatch, media_root):
    category = ProductCategory.objects.create(code="ac", name="Air conditioners")
    ProductModel.objects.create(code="KFR-35GW", name="Split air conditioner", category=category)
    monkeypatch.setattr(imports, "CHECK_CHUNK", 2)
    monkeypatch.setattr(imports, "WRITE_BATCH", 3)
    unit_import = unit_import_create(upload=csv_upload([unit_row(f"KFR-{n:04}") for n in range(7)]))
    seen = []

    def look_from_elsewhere():
        def look():
            try:
                job = UnitImport.objects.get(pk=unit_import.pk)
                units = RegisteredUnit.objects.count()
                seen.append((job.status, job.processed_rows, job.imported_rows, job.total_rows, job.percent, units))
            finally:
                connection.close()

        observer = threading.Thread(target=look)
        observer.start()
        observer.join()

    check = imports._Checker.check
    save_write_progress = imports._WriteProgress.save

    def check_then_look(self, chunk):
        check(self, chunk)
        look_from_elsewhere()  # the previous chunk's figures: this chunk's are saved right after

    def save_then_look(self, imported):
        save_write_progress(self, imported)
        look_from_elsewhere()

    monkeypatch.setattr(imports._Checker, "check", check_then_look)
    monkeypatch.setattr(imports._WriteProgress, "save", save_then_look)

    finished = unit_import_run(unit_import_id=unit_import.pk)

    # (status, checked, written, rows, percent, units committed): checking is the first half of the
    # work, writing the second; the units appear all at once when the write transaction commits.
    assert seen == [
        ("running", 0, 0, 7, 0, 0),
        ("running", 2, 0, 7, 14, 0),
        ("running", 4, 0, 7, 28, 0),
        ("running", 6, 0, 7, 42, 0),
        ("running", 7, 3, 7, 71, 0),
        ("running", 7, 6, 7, 92, 0),
        ("running", 7, 7, 7, 99, 0),
    ]
    assert (finished.status, finished.imported_rows, finished.percent) == ("succeeded", 7, 100)
    assert RegisteredUnit.objects.count() == 7


# --- the API --------------------------------------------------------------------------------


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["detail"] and isinstance(body["code"], str) and body["code"]
    return body


def test_api_imports_a_small_file_in_the_request(catalogue, api_as):
    client = api_as("agent")

    response = client.post(IMPORT_URL, {"file": csv_upload([unit_row("KFR-0001")])}, format="multipart")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "succeeded" and body["imported_rows"] == 1 and body["percent"] == 100
    assert body["mode"] == "all_or_nothing" and body["errors"] == [] and not body["errors_truncated"]
    assert body["url"].endswith(f"/api/v1/warranty/imports/{body['id']}/") and response["Location"] == body["url"]
    assert RegisteredUnit.objects.filter(serial="KFR-0001").exists()


def test_api_reports_row_errors_of_a_rejected_file(catalogue, api_as):
    client = api_as("supervisor")
    upload = csv_upload([unit_row("KFR-0001"), unit_row("KFR-0002", model="NOPE")])

    response = client.post(IMPORT_URL, {"file": upload, "mode": "all_or_nothing"}, format="multipart")

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "failed" and body["imported_rows"] == 0 and body["error_count"] == 1
    assert body["errors"] == [
        {"row": 3, "field": "model", "code": "unknown_model", "message": body["errors"][0]["message"]}
    ]
    assert not RegisteredUnit.objects.exists()


def test_api_queues_a_large_file_and_the_job_shows_its_progress(
    catalogue, api_as, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.WARRANTY_IMPORT_SYNC_MAX_ROWS = 2
    queued = []
    monkeypatch.setattr(unit_import_run_task, "delay", lambda unit_import_id: queued.append(unit_import_id))
    client = api_as("agent")
    upload = csv_upload([unit_row(f"KFR-{n:04}") for n in range(5)])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(IMPORT_URL, {"file": upload, "mode": "valid_only"}, format="multipart")

    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["status"], body["percent"], body["processed_rows"], body["mode"]) == ("pending", 0, 0, "valid_only")
    assert queued == [body["id"]] and not RegisteredUnit.objects.exists()
    assert client.get(response["Location"]).json()["status"] == "pending"

    result = unit_import_run_task(body["id"])  # what the worker does with the queued id

    assert result == {"status": "succeeded", "imported": 5, "errors": 0}
    job = client.get(f"/api/v1/warranty/imports/{body['id']}/")
    assert job.status_code == 200
    assert job.json()["status"] == "succeeded"
    assert (job.json()["total_rows"], job.json()["processed_rows"], job.json()["percent"]) == (5, 5, 100)
    assert RegisteredUnit.objects.count() == 5


def test_api_marks_the_job_when_the_broker_refuses_it(
    catalogue, api_as, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.WARRANTY_IMPORT_SYNC_MAX_ROWS = 0

    def broker_down(unit_import_id):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(unit_import_run_task, "delay", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_as("agent").post(IMPORT_URL, {"file": csv_upload([unit_row("KFR-1")])}, format="multipart")

    # In a request (autocommit) the callback runs inside the service; here only when the block ends.
    assert response.status_code == 202
    unit_import = UnitImport.objects.get(pk=response.json()["id"])
    assert unit_import.status == UnitImportStatus.ERROR and problems(unit_import) == {(None, None, "not_queued")}


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ({}, "required", "file"),
        ({"file": SimpleUploadedFile("units.txt", b"serial\n")}, "file_type", "file"),
        ({"file": SimpleUploadedFile("units.csv", b"serial\x00\n")}, "file_content", "file"),
        ({"file": SimpleUploadedFile("units.csv", b"serial\n"), "mode": "some"}, "invalid_choice", "mode"),
    ],
    ids=["no-file", "wrong-type", "binary-csv", "bad-mode"],
)
def test_api_refuses_bad_uploads_with_400(catalogue, api_as, data, code, field):
    response = api_as("agent").post(IMPORT_URL, data, format="multipart")

    body = assert_error_shape(response, 400)
    assert body["code"] == code and field in body
    assert not UnitImport.objects.exists()


def test_api_refuses_a_file_over_the_size_limit_with_400(catalogue, api_as, settings):
    settings.WARRANTY_IMPORT_MAX_BYTES = 64

    response = api_as("agent").post(
        IMPORT_URL, {"file": csv_upload([unit_row(f"KFR-{n}") for n in range(5)])}, format="multipart"
    )

    assert assert_error_shape(response, 400)["code"] == "file_size"


def test_api_refuses_json_bodies(catalogue, api_as):
    response = api_as("agent").post(IMPORT_URL, {"file": "KFR-0001"}, format="json")

    assert_error_shape(response, 415)


@pytest.mark.parametrize("role", ["manager", "technician", "coordinator"])
def test_api_roles_without_registering_rights_may_not_import(catalogue, api_as, role):
    response = api_as(role).post(IMPORT_URL, {"file": csv_upload([unit_row("KFR-0001")])}, format="multipart")

    assert assert_error_shape(response, 403)["code"] == "permission_denied"
    assert not UnitImport.objects.exists()


def test_api_job_is_visible_to_import_roles_only(catalogue, make_user, api_client):
    unit_import = run(csv_upload([unit_row("KFR-0001")]), actor=make_user("agent"))
    url = f"/api/v1/warranty/imports/{unit_import.pk}/"

    assert_error_shape(api_client.get(url), 401)
    api_client.force_authenticate(make_user("manager"))
    assert_error_shape(api_client.get(url), 403)
    api_client.force_authenticate(make_user("supervisor"))
    assert api_client.get(url).json()["created_by"].startswith("agent")
    assert_error_shape(api_client.get("/api/v1/warranty/imports/999999/"), 404)


def test_api_an_import_is_seen_by_its_uploader_and_supervisors_only(catalogue, make_user, api_client):
    uploader = make_user("agent")
    unit_import = run(csv_upload([unit_row("KFR-0001")]), actor=uploader)
    url = f"/api/v1/warranty/imports/{unit_import.pk}/"

    api_client.force_authenticate(make_user("agent"))
    assert_error_shape(api_client.get(url), 404)  # another agent's upload, as if it did not exist
    api_client.force_authenticate(uploader)
    assert api_client.get(url).json()["id"] == unit_import.pk


# --- the admin ------------------------------------------------------------------------------


def test_admin_shows_an_agent_only_their_own_imports(catalogue, make_user, client):
    theirs = run(csv_upload([unit_row("KFR-0001")]), actor=make_user("agent"))
    agent = make_user("agent")
    mine = run(csv_upload([unit_row("KFR-0002")]), actor=agent)
    client.force_login(agent)

    listing = client.get("/admin/warranty/unitimport/").content.decode()
    assert f"/admin/warranty/registeredunit/import/{mine.pk}/" in listing
    assert f"/admin/warranty/registeredunit/import/{theirs.pk}/" not in listing
    assert client.get(f"/admin/warranty/registeredunit/import/{theirs.pk}/").status_code == 404
    assert client.get(f"/admin/warranty/unitimport/{theirs.pk}/change/").status_code == 302  # "does not exist"
    client.force_login(make_user("supervisor"))
    assert client.get(f"/admin/warranty/registeredunit/import/{theirs.pk}/").status_code == 200


def test_admin_upload_page_imports_a_small_file_and_shows_the_result(catalogue, make_user, client):
    client.force_login(make_user("agent"))

    page = client.get("/admin/warranty/registeredunit/import/")
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content and "序列号".encode() in page.content

    upload = csv_upload([unit_row("KFR-0001"), unit_row("KFR-0002", model="NOPE")])
    response = client.post(page.request["PATH_INFO"], {"file": upload, "mode": "valid_only"})

    unit_import = UnitImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/warranty/registeredunit/import/{unit_import.pk}/"
    result = client.get(response["Location"])
    assert result.status_code == 200
    content = result.content.decode()
    assert 'data-status="succeeded"' in content and 'http-equiv="refresh"' not in content
    assert 'id="unit-import-errors"' in content and "NOPE" in content
    assert RegisteredUnit.objects.filter(serial="KFR-0001").exists()


def test_admin_upload_page_shows_file_errors_on_the_form(catalogue, make_user, client):
    client.force_login(make_user("supervisor"))

    response = client.post(
        "/admin/warranty/registeredunit/import/",
        {"file": SimpleUploadedFile("units.pdf", b"%PDF-1.7"), "mode": "all_or_nothing"},
    )

    assert response.status_code == 200
    assert "errorlist" in response.content.decode() and not UnitImport.objects.exists()


def test_admin_progress_page_refreshes_until_the_queued_job_has_finished(catalogue, make_user, client, settings):
    settings.WARRANTY_IMPORT_SYNC_MAX_ROWS = 1
    client.force_login(make_user("agent"))
    upload = csv_upload([unit_row(f"KFR-{n:04}") for n in range(3)])

    response = client.post("/admin/warranty/registeredunit/import/", {"file": upload, "mode": "all_or_nothing"})
    running = client.get(response["Location"]).content.decode()

    assert 'data-status="pending"' in running and '<meta http-equiv="refresh" content="2">' in running
    unit_import_run_task(UnitImport.objects.get().pk)
    done = client.get(response["Location"]).content.decode()
    assert 'data-status="succeeded"' in done and "http-equiv" not in done
    assert '<td class="unit-import-progress">3 / 3</td>' in done and "100%" in done


def test_admin_import_pages_need_the_right_to_register_units(catalogue, make_user, client):
    unit_import = run(csv_upload([unit_row("KFR-0001")]))
    client.force_login(make_user("manager"))

    assert client.get("/admin/warranty/registeredunit/import/").status_code == 403
    assert client.get(f"/admin/warranty/registeredunit/import/{unit_import.pk}/").status_code == 403


def test_admin_lists_past_imports_read_only(catalogue, make_user, client):
    agent = make_user("agent")
    unit_import = run(csv_upload([unit_row("KFR-0001")]), actor=agent)
    client.force_login(agent)

    listing = client.get("/admin/warranty/unitimport/")
    assert listing.status_code == 200
    content = listing.content.decode()
    assert "units.csv" in content and f"/admin/warranty/registeredunit/import/{unit_import.pk}/" in content
    assert "/admin/warranty/registeredunit/import/" in content  # the upload link
    detail = client.get(f"/admin/warranty/unitimport/{unit_import.pk}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()


def test_a_damaged_csv_record_rejects_the_file_with_its_row(catalogue):
    rows = [unit_row("KFR-0001"), unit_row("KFR-0002", customer=("x" * 200_000, "13800000001", "", ""))]

    unit_import = run(csv_upload(rows))

    assert unit_import.status == UnitImportStatus.FAILED
    assert problems(unit_import) == {(3, None, "file_content")}  # csv: field larger than field limit


def test_a_large_file_is_queued_even_if_it_has_few_rows(catalogue, settings, django_capture_on_commit_callbacks):
    settings.WARRANTY_IMPORT_SYNC_MAX_BYTES = 10

    with django_capture_on_commit_callbacks() as callbacks:
        unit_import = unit_import_submit(upload=csv_upload([unit_row("KFR-0001")]), mode=UnitImportMode.VALID_ONLY)

    assert unit_import.status == UnitImportStatus.PENDING and len(callbacks) == 1
    assert unit_import_run_task.name == "warranty.unit_import_run"
