"""Bulk import of 100,000 sold units from CSV and from XLSX (target: well under a minute each).

Each run commits for real (``transaction=True``) as a worker would. Figures are printed and recorded
in docs/benchmarks.md ("Unit import").
"""

from __future__ import annotations

import csv
import io
import os
import random
import time
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aftersales.core.models import Customer
from warranty.choices import SalesChannel, UnitImportMode, UnitImportStatus
from warranty.models import ProductCategory, ProductModel, RegisteredUnit
from warranty.services import imports
from warranty.services.imports import unit_import_create, unit_import_run

ROWS = 100_000
CUSTOMERS = 30_000  # some customers bought several units
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
MODEL_CODES = ["KFR-26GW", "KFR-35GW", "KFR-50LW", "JSQ-16", "RO-400G"]

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]


def generate_rows(count: int) -> list[list]:
    chooser = random.Random(20261124)
    first_day = date(2023, 1, 1)
    channels = list(SalesChannel.values)
    rows = []
    for number in range(count):
        purchased = first_day + timedelta(days=chooser.randrange(900))
        customer = chooser.randrange(CUSTOMERS)
        rows.append(
            [
                f"SN{number:08d}",
                MODEL_CODES[number % len(MODEL_CODES)],
                purchased.isoformat(),
                channels[number % len(channels)],
                (purchased + timedelta(days=chooser.randrange(10))).isoformat() if number % 3 else "",
                f"客户{customer}",
                f"139{customer:08d}",
                f"c{customer}@example.com" if customer % 4 == 0 else "",
                f"上海市浦东新区世纪大道 {customer} 号",
            ]
        )
    return rows


def csv_file(rows: list[list]) -> SimpleUploadedFile:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return SimpleUploadedFile("units.csv", buffer.getvalue().encode("utf-8"))


def xlsx_file(rows: list[list]) -> SimpleUploadedFile:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for row in rows:
        # Dates as real date cells, as Excel stores them.
        installed = date.fromisoformat(row[4]) if row[4] else None
        sheet.append([*row[:2], date.fromisoformat(row[2]), row[3], installed, *row[5:]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("units.xlsx", buffer.getvalue())


@pytest.fixture
def catalogue(db):
    category = ProductCategory.objects.create(code="ac", name="Air conditioners")
    for code in MODEL_CODES:
        ProductModel.objects.create(code=code, name=code, category=category)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_import_100k_units(kind, catalogue, settings, tmp_path, monkeypatch, capsys):
    settings.MEDIA_ROOT = str(tmp_path)
    rows = generate_rows(ROWS)
    upload = csv_file(rows) if kind == "csv" else xlsx_file(rows)
    size = upload.size
    unit_import = unit_import_create(upload=upload, mode=UnitImportMode.ALL_OR_NOTHING)

    # Split the time between the check pass (progress shown) and the write transaction.
    write_started = []
    write = imports._write

    def timed_write(*args):
        write_started.append(time.perf_counter())
        write(*args)

    monkeypatch.setattr(imports, "_write", timed_write)
    started = time.perf_counter()
    unit_import = unit_import_run(unit_import_id=unit_import.pk)
    seconds = time.perf_counter() - started

    assert unit_import.status == UnitImportStatus.SUCCEEDED, unit_import.errors[:5]
    assert unit_import.imported_rows == ROWS == RegisteredUnit.objects.count()
    assert Customer.objects.count() == len({row[6] for row in rows})
    check_seconds = write_started[0] - started
    with capsys.disabled():
        print(
            f"\nunit import {kind.upper()}: {ROWS:,} rows, {size / 1e6:.1f} MB, {seconds:.1f} s "
            f"({ROWS / seconds:,.0f} rows/s; check {check_seconds:.1f} s, write {seconds - check_seconds:.1f} s), "
            f"{Customer.objects.count():,} customers created, {os.cpu_count()} CPUs"
        )
    assert seconds < 60
