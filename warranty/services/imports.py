"""Bulk import of sold units from CSV and XLSX files: the services behind the admin's upload page,
``POST /api/v1/warranty/units/import/`` and the ``warranty.unit_import_run`` task.

A run makes two passes, so that progress shows while nothing is half-written:

1. Check, outside any transaction. Rows are read in chunks of ``CHECK_CHUNK``; each chunk is checked
   against the catalogue, the rows before it and the database (one query for its serials, one for
   its customers' phones). After each chunk ``processed_rows`` is saved in autocommit, so the
   progress page and the API see it move while the file is read.
2. Write, in one transaction: the customers not found by phone (``bulk_create``), the units
   (``bulk_create`` in batches of ``WRITE_BATCH``) and the job's outcome. A rejected file writes
   nothing, and a run that dies leaves nothing behind. ``imported_rows`` is saved after each batch
   on a second connection (``_WriteProgress``), so the progress keeps moving during this pass too:
   the job's ``percent`` counts checking as the first half of the work and writing as the second.

Someone else (another import, a clerk) may register one of the serials between the passes. The
unique constraint on the serial decides: a batch that hits it goes back to its savepoint, the
serials now taken become row errors, and the rest is written (``valid_only``) or nothing is
(``all_or_nothing``).
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from operator import attrgetter
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from aftersales.core import clock
from aftersales.core.models import Customer
from aftersales.core.phones import lock_phones
from aftersales.core.services import clean_phone

from ..choices import SalesChannel, UnitImportMode, UnitImportStatus
from ..models import ProductModel, RegisteredUnit, UnitImport
from ..tasks import UNIT_IMPORT_TIME_LIMIT, unit_import_run_task

logger = logging.getLogger(__name__)

CHECK_CHUNK = 2_000  # rows checked between two progress updates (and per lookup query)
WRITE_BATCH = 5_000  # rows per INSERT
# Files up to this many rows (and bytes) are imported in the request, in about a second; larger ones
# go to a worker. The size bound also catches workbooks that do not record how many rows they hold.
SYNC_MAX_ROWS = 2_000
SYNC_MAX_BYTES = 1024 * 1024

# Canonical column → the headers accepted for it (compared lower-cased, spaces and dashes as "_").
COLUMNS = {
    "serial": ("serial", "serial_number", "serial_no", "sn", "序列号"),
    "model": ("model", "model_code", "product_model", "型号"),
    "purchase_date": ("purchase_date", "购买日期"),
    "sales_channel": ("sales_channel", "channel", "销售渠道"),
    "install_date": ("install_date", "installation_date", "安装日期"),
    "customer_name": ("customer_name", "客户姓名"),
    "customer_phone": ("customer_phone", "phone", "客户电话"),
    "customer_email": ("customer_email", "email", "客户邮箱"),
    "address": ("address", "customer_address", "地址"),
}
REQUIRED_COLUMNS = ("serial", "model", "purchase_date")
_HEADER_ALIASES = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}
_HEADER_NOISE = re.compile(r"[\s\-]+")
# YYYY-MM-DD or YYYY/MM/DD (Chinese Excel writes 2024/3/5), optionally followed by a time of day.
_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")


def _max_length(model, name: str) -> int:
    length = model._meta.get_field(name).max_length
    assert length is not None, f"{model.__name__}.{name} has no max_length"
    return length


_SERIAL_MAX = _max_length(RegisteredUnit, "serial")
_NAME_MAX = _max_length(Customer, "name")
_ADDRESS_MAX = _max_length(Customer, "address")
_EMAIL_MAX = _max_length(Customer, "email")


# --- services -------------------------------------------------------------------------------


def runs_in_request(unit_import: UnitImport) -> bool:
    if unit_import.file.size > getattr(settings, "WARRANTY_IMPORT_SYNC_MAX_BYTES", SYNC_MAX_BYTES):
        return False
    estimate = estimated_rows(unit_import)
    return estimate is not None and estimate <= getattr(settings, "WARRANTY_IMPORT_SYNC_MAX_ROWS", SYNC_MAX_ROWS)


def unit_import_create(*, upload, mode: str = UnitImportMode.ALL_OR_NOTHING, actor=None) -> UnitImport:
    """Check the file's type and size and store it as a pending job; nothing is read yet.

    Raises ValidationError (``file`` or ``mode``) for a file that is not a CSV or XLSX, too large,
    empty or not what its extension says.
    """
    if mode not in UnitImportMode.values:
        raise ValidationError({"mode": _("Choose all_or_nothing or valid_only.")}, code="invalid_choice")
    unit_import = UnitImport(
        file=upload,
        original_name=Path(upload.name or "").name[:255],
        mode=mode,
        created_by=actor,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    unit_import.full_clean()
    unit_import.save()
    return unit_import


def unit_import_submit(*, upload, mode: str = UnitImportMode.ALL_OR_NOTHING, actor=None) -> UnitImport:
    """Store the file, then import it now if it is small, else queue it for a worker.

    The caller looks at ``is_finished``: finished → show the outcome; pending → show the job to poll.
    """
    unit_import = unit_import_create(upload=upload, mode=mode, actor=actor)
    if runs_in_request(unit_import):
        return unit_import_run(unit_import_id=unit_import.pk)
    transaction.on_commit(partial(_enqueue, unit_import.pk))
    unit_import.refresh_from_db()
    return unit_import


def unit_import_run(*, unit_import_id: int) -> UnitImport:
    """Check and import the job's file; safe to call again (a finished or running job is left alone).

    A job still "running" after the task's time limit was abandoned by a dead worker and is run
    again; its write never committed, so nothing is imported twice.
    """
    now = clock.now()
    claimed = (
        UnitImport.objects.filter(pk=unit_import_id)
        .filter(
            Q(status=UnitImportStatus.PENDING)
            | Q(status=UnitImportStatus.RUNNING, started_at__lt=now - timedelta(seconds=UNIT_IMPORT_TIME_LIMIT))
        )
        .update(status=UnitImportStatus.RUNNING, started_at=now, processed_rows=0)
    )
    unit_import = UnitImport.objects.get(pk=unit_import_id)
    if not claimed:
        return unit_import
    try:
        with translation.override(unit_import.language):
            _run(unit_import)
    except Exception:
        logger.exception("unit import %s stopped", unit_import.pk)
        errors = _ErrorLog()
        errors.add(None, None, "internal", _("The import stopped because of an internal error; nothing was imported."))
        _finish(unit_import, status=UnitImportStatus.ERROR, errors=errors)
    unit_import.refresh_from_db()
    return unit_import


def estimated_rows(unit_import: UnitImport) -> int | None:
    """Data rows in the file, cheaply: newlines of a CSV, the recorded dimension of an XLSX sheet.

    None when the workbook does not record its size. An unreadable file counts as 0: it fails fast.
    """
    with unit_import.file.open("rb") as stored:
        if _is_xlsx(unit_import):
            from openpyxl import load_workbook

            try:
                workbook = load_workbook(stored, read_only=True, data_only=True)
            except Exception:
                return 0
            try:
                max_row = workbook.worksheets[0].max_row if workbook.worksheets else 1
            finally:
                workbook.close()
            return None if max_row is None else max(max_row - 1, 0)
        return max(stored.read().rstrip().count(b"\n"), 0)


def _enqueue(unit_import_id: int) -> None:
    try:
        unit_import_run_task.delay(unit_import_id)
    except Exception:
        # The broker is down: say so on the job rather than leave it waiting for ever.
        logger.exception("unit import %s could not be queued", unit_import_id)
        errors = _ErrorLog()
        errors.add(None, None, "not_queued", _("The import could not be queued; upload the file again later."))
        UnitImport.objects.filter(pk=unit_import_id, status=UnitImportStatus.PENDING).update(
            status=UnitImportStatus.ERROR, error_count=errors.count, errors=errors.kept, finished_at=clock.now()
        )


# --- errors ---------------------------------------------------------------------------------


class _ErrorLog:
    """Every error is counted; the first ``UnitImport.ERRORS_KEPT`` are kept for the report."""

    def __init__(self) -> None:
        self.kept: list[dict] = []
        self.count = 0

    def add(self, row: int | None, field: str | None, code: str, message: str) -> None:
        self.count += 1
        if len(self.kept) < UnitImport.ERRORS_KEPT:
            self.kept.append({"row": row, "field": field, "code": code, "message": str(message)})


class _FileRejected(Exception):
    """The file as a whole cannot be imported: unreadable, a column missing, no rows."""

    def __init__(self, errors: _ErrorLog) -> None:
        super().__init__()
        self.errors = errors

    @classmethod
    def one(cls, code: str, message: str, *, row: int | None = None, field: str | None = None) -> _FileRejected:
        errors = _ErrorLog()
        errors.add(row, field, code, message)
        return cls(errors)


class _Rejected(Exception):
    """Raised inside the write transaction to roll it back."""


# --- reading the file -----------------------------------------------------------------------


def _is_xlsx(unit_import: UnitImport) -> bool:
    return Path(unit_import.file.name or "").suffix.lower() == ".xlsx"


@dataclass
class _Sheet:
    estimated_rows: int | None
    rows: Iterator[tuple[int, tuple]]  # (row number as the user sees it, cell values), header first


def _decode(raw: bytes) -> str:
    """UTF-8 with or without BOM; otherwise GB18030, what Chinese Excel writes by default."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise _FileRejected.one(
            "file_encoding", _("The file is neither UTF-8 nor GB18030 text: save it as CSV UTF-8.")
        ) from None


def _csv_sheet(raw: bytes) -> _Sheet:
    text = _decode(raw)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)  # a comma unless the header uses another
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return _Sheet(estimated_rows=text.rstrip().count("\n"), rows=enumerate(map(tuple, reader), start=1))


def _xlsx_sheet(stored, closers: list) -> _Sheet:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(stored, read_only=True, data_only=True)
    except Exception as error:
        raise _FileRejected.one("file_content", _("The file could not be read as an XLSX workbook.")) from error
    closers.append(workbook.close)
    if not workbook.worksheets:
        raise _FileRejected.one("file_content", _("The workbook has no worksheet."))
    sheet = workbook.worksheets[0]  # the first sheet holds the data, whichever was open when saved
    max_row = sheet.max_row
    return _Sheet(
        estimated_rows=None if max_row is None else max_row - 1,
        rows=enumerate(sheet.iter_rows(values_only=True), start=1),
    )


def _guarded(rows: Iterator[tuple[int, tuple]]) -> Iterator[tuple[int, tuple]]:
    """Whatever breaks while reading the bytes is the file's fault, reported as such, not a crash."""
    number = 0
    while True:
        try:
            number, cells = next(rows)
        except StopIteration:
            return
        except SoftTimeLimitExceeded:
            raise
        except Exception as error:  # csv.Error, zipfile and XML errors of a damaged workbook, ...
            raise _FileRejected.one(
                "file_content", _("The file could not be read after row %(row)d.") % {"row": number}, row=number + 1
            ) from error
        yield number, cells


def _column_key(header) -> str:
    text = _HEADER_NOISE.sub("_", str(header if header is not None else "").strip().lstrip("\ufeff").rstrip("*"))
    return _HEADER_ALIASES.get(text.strip("_").lower(), "")


def _map_columns(header_row: int, header: tuple) -> dict[str, int]:
    """Canonical column → its position; unknown columns are ignored (a "notes" column, say)."""
    positions: dict[str, int] = {}
    errors = _ErrorLog()
    for position, title in enumerate(header):
        key = _column_key(title)
        if not key:
            continue
        if key in positions:
            errors.add(header_row, key, "duplicate_column", _("The column %(column)s appears twice.") % {"column": key})
        positions[key] = position
    for key in REQUIRED_COLUMNS:
        if key not in positions:
            errors.add(header_row, key, "missing_column", _("The header has no %(column)s column.") % {"column": key})
    if errors.count:
        raise _FileRejected(errors)
    return positions


# --- checking rows --------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # numbers typed into Excel: serials, phone numbers
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    return str(value).strip()


def _date(value) -> date | None:
    """A date cell as is; text as YYYY-MM-DD or YYYY/MM/DD. None when blank, ValueError when not a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    match = _DATE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    return date(int(match[1]), int(match[2]), int(match[3]))


def _channel_lookup() -> dict[str, str]:
    """The stored value, or the label in English or Chinese, any case."""
    lookup: dict[str, str] = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for value, label in SalesChannel.choices:
                lookup[str(label).strip().lower()] = value
    lookup.update({value: value for value in SalesChannel.values})
    return lookup


@dataclass(slots=True)
class _Row:
    number: int
    serial: str
    product_model_id: int
    purchase_date: date
    install_date: date | None
    sales_channel: str
    phone: str


@dataclass(slots=True)
class _NewCustomer:
    name: str
    email: str
    address: str


@dataclass(slots=True)
class _Candidate:
    """A row read and checked on its own; the checks against the database come per chunk."""

    row: _Row | None  # None when a field is already invalid
    number: int
    serial: str
    phone: str
    customer: _NewCustomer | None  # details given on this row, if valid
    errors: list[tuple[str, str, str]]  # (field, code, message), reported in row order per chunk


class _Checker:
    """Checks rows chunk by chunk and keeps the valid ones for the write."""

    def __init__(self, *, today: date, mode: str) -> None:
        self.today = today
        self.keep_valid = True
        self.mode = mode
        models = list(ProductModel.objects.only("pk", "code", "serial_case_sensitive"))
        self.models = {model.code: model for model in models}
        # Model codes typed in another case still match, unless two codes differ only by case.
        folded: dict[str, list[ProductModel]] = {}
        for model in models:
            folded.setdefault(model.code.upper(), []).append(model)
        self.models_folded = {code: same[0] for code, same in folded.items() if len(same) == 1}
        self.channels = _channel_lookup()
        self.default_channel = RegisteredUnit._meta.get_field("sales_channel").default
        self.first_row_of_serial: dict[str, int] = {}
        self.existing_phones: set[str] = set()
        self.new_customers: dict[str, _NewCustomer] = {}
        self.valid: list[_Row] = []
        self.errors = _ErrorLog()

    def check(self, chunk: list[tuple[int, dict]]) -> None:
        candidates = [self._check_fields(number, values) for number, values in chunk]
        serials = [candidate.serial for candidate in candidates if candidate.serial]
        taken = set(RegisteredUnit.objects.filter(serial__in=serials).values_list("serial", flat=True))
        phones = {c.phone for c in candidates if c.phone} - self.existing_phones - self.new_customers.keys()
        if phones:
            self.existing_phones.update(
                Customer.objects.filter(phone__in=phones).values_list("phone", flat=True).distinct()
            )
        for candidate in candidates:
            errors = candidate.errors
            if candidate.serial in taken:
                message = _("The serial number %(serial)s is already registered.") % {"serial": candidate.serial}
                errors.insert(0, ("serial", "serial_registered", message))
            phone = candidate.phone
            if phone and phone not in self.existing_phones and phone not in self.new_customers:
                if candidate.customer is not None and not candidate.customer.name:
                    message = _("No customer has this phone number: give the customer's name to add one.")
                    errors.append(("customer_name", "required", message))
                elif candidate.customer is not None:
                    # Created from the first row that names it, even if that row is invalid otherwise.
                    self.new_customers[phone] = candidate.customer
            for field, code, message in errors:
                self.errors.add(candidate.number, field, code, message)
            failed = bool(errors) or candidate.row is None
            if failed and self.mode == UnitImportMode.ALL_OR_NOTHING:
                # Nothing will be written: stop collecting rows, keep checking for the report.
                self.keep_valid = False
                self.valid.clear()
            elif not failed and self.keep_valid and candidate.row is not None:
                self.valid.append(candidate.row)

    def _check_fields(self, number: int, values: dict) -> _Candidate:
        errors: list[tuple[str, str, str]] = []

        def error(field: str, code: str, message: str) -> None:
            errors.append((field, code, str(message)))

        raw_serial = _text(values.get("serial"))
        code = _text(values.get("model"))
        product_model = self.models.get(code) or self.models_folded.get(code.upper())
        if not code:
            error("model", "required", _("The model is missing."))
        elif product_model is None:
            error("model", "unknown_model", _("There is no model %(model)s.") % {"model": code})

        serial = product_model.normalize_serial(raw_serial) if product_model else raw_serial.strip()
        checked_serial = ""  # to look up in the database; only a well-formed serial of a known model
        if not serial:
            error("serial", "required", _("The serial number is missing."))
        elif len(serial) > _SERIAL_MAX:
            error(
                "serial", "too_long", _("The serial number is longer than %(max)d characters.") % {"max": _SERIAL_MAX}
            )
        elif serial in self.first_row_of_serial:
            error(
                "serial",
                "duplicate_serial",
                _("The serial number %(serial)s is also in row %(row)d.")
                % {"serial": serial, "row": self.first_row_of_serial[serial]},
            )
        elif product_model is not None:
            self.first_row_of_serial[serial] = number
            checked_serial = serial

        purchase_date = install_date = None
        try:
            purchase_date = _date(values.get("purchase_date"))
        except ValueError:
            error("purchase_date", "invalid_date", _("Write the purchase date as YYYY-MM-DD."))
        else:
            if purchase_date is None:
                error("purchase_date", "required", _("The purchase date is missing."))
            elif purchase_date > self.today:
                error("purchase_date", "future_date", _("The purchase date is in the future."))
        try:
            install_date = _date(values.get("install_date"))
        except ValueError:
            error("install_date", "invalid_date", _("Write the install date as YYYY-MM-DD."))
        else:
            if install_date and purchase_date and install_date < purchase_date:
                error("install_date", "install_before_purchase", _("The unit was installed before it was bought."))

        channel_text = _text(values.get("sales_channel"))
        sales_channel = self.channels.get(channel_text.lower()) if channel_text else self.default_channel
        if sales_channel is None:
            error(
                "sales_channel",
                "invalid_choice",
                _("Unknown sales channel %(channel)s; use one of: %(choices)s.")
                % {"channel": channel_text, "choices": ", ".join(SalesChannel.values)},
            )

        phone, customer = self._check_customer(values, error)
        row = None
        # No error means every value was found and parsed (the checks above say so when one is missing).
        if not errors and product_model is not None and purchase_date is not None and sales_channel is not None:
            row = _Row(
                number=number,
                serial=serial,
                product_model_id=product_model.pk,
                purchase_date=purchase_date,
                install_date=install_date,
                sales_channel=sales_channel,
                phone=phone,
            )
        return _Candidate(
            row=row,
            number=number,
            serial=checked_serial,
            phone=phone,
            customer=customer,
            errors=errors,
        )

    def _check_customer(self, values: dict, error) -> tuple[str, _NewCustomer | None]:
        raw_phone = _text(values.get("customer_phone"))
        name = _text(values.get("customer_name"))
        email = _text(values.get("customer_email"))
        address = _text(values.get("address"))
        if not raw_phone:
            if name or email or address:
                error(
                    "customer_phone",
                    "required",
                    _("Customers are found by phone number: give it along with the other details."),
                )
            return "", None
        failed = False
        try:
            phone = clean_phone(raw_phone)
        except ValidationError as problem:
            error("customer_phone", "invalid_phone", problem.messages[0])
            phone, failed = "", True
        if len(name) > _NAME_MAX:
            error("customer_name", "too_long", _("The name is longer than %(max)d characters.") % {"max": _NAME_MAX})
            failed = True
        if email:
            try:
                if len(email) > _EMAIL_MAX:
                    raise ValidationError("too long")
                validate_email(email)
            except ValidationError:
                error("customer_email", "invalid_email", _("Enter a valid email address."))
                failed = True
        if len(address) > _ADDRESS_MAX:
            error("address", "too_long", _("The address is longer than %(max)d characters.") % {"max": _ADDRESS_MAX})
            failed = True
        return phone, None if failed else _NewCustomer(name=name, email=email, address=address)


# --- the run --------------------------------------------------------------------------------


def _run(unit_import: UnitImport) -> None:
    checker = _Checker(today=timezone.localdate(clock.now()), mode=unit_import.mode)
    processed = 0
    closers: list = []
    try:
        with unit_import.file.open("rb") as stored:
            sheet = _xlsx_sheet(stored, closers) if _is_xlsx(unit_import) else _csv_sheet(stored.read())
            rows = _guarded(sheet.rows)
            columns = _first_header(rows)
            estimate = sheet.estimated_rows
            _save_progress(unit_import.pk, 0, estimate)
            chunk: list[tuple[int, dict]] = []
            for number, cells in rows:
                values = {key: cells[position] for key, position in columns.items() if position < len(cells)}
                if all(value is None or _text(value) == "" for value in values.values()):
                    continue
                chunk.append((number, values))
                if len(chunk) >= CHECK_CHUNK:
                    processed = _check_chunk(checker, chunk, unit_import.pk, processed, estimate)
                    chunk = []
            if chunk:
                processed = _check_chunk(checker, chunk, unit_import.pk, processed, estimate)
    except _FileRejected as rejected:
        _finish(unit_import, status=UnitImportStatus.FAILED, errors=rejected.errors, processed=processed)
        return
    finally:
        for close in closers:
            close()

    if processed == 0:
        empty = _FileRejected.one("no_rows", _("The file has no rows below the header."))
        _finish(unit_import, status=UnitImportStatus.FAILED, errors=empty.errors, processed=0)
    elif not checker.valid or (unit_import.mode == UnitImportMode.ALL_OR_NOTHING and checker.errors.count):
        # all_or_nothing with an invalid row, or valid_only without a single valid row.
        _finish(unit_import, status=UnitImportStatus.FAILED, errors=checker.errors, processed=processed)
    else:
        _write(unit_import, checker, processed)


def _first_header(rows: Iterator[tuple[int, tuple]]) -> dict[str, int]:
    for number, cells in rows:
        if any(_text(cell) for cell in cells):
            return _map_columns(number, cells)
    raise _FileRejected.one("no_rows", _("The file is empty."))


def _check_chunk(checker: _Checker, chunk: list, unit_import_id: int, processed: int, estimate: int | None) -> int:
    checker.check(chunk)
    processed += len(chunk)
    _save_progress(unit_import_id, processed, max(estimate or 0, processed))
    return processed


def _save_progress(unit_import_id: int, processed: int, total: int | None) -> None:
    # A single-row UPDATE in autocommit: other connections see the figures at once.
    UnitImport.objects.filter(pk=unit_import_id).update(processed_rows=processed, total_rows=total)


def _finish(
    unit_import: UnitImport, *, status: str, errors: _ErrorLog, imported: int = 0, processed: int | None = None
) -> None:
    values = {
        "status": status,
        "imported_rows": imported,
        "error_count": errors.count,
        "errors": errors.kept,
        "finished_at": clock.now(),
    }
    if processed is not None:
        values.update(processed_rows=processed, total_rows=processed)
    UnitImport.objects.filter(pk=unit_import.pk).update(**values)


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _WriteProgress:
    """The write pass's progress (``imported_rows`` so far), shown before its transaction commits.

    Saved on a connection of its own, in autocommit, because the import's own connection is inside
    the write transaction. PostgreSQL only (SQLite would wait for the writer's lock), never inside an
    outer transaction (nobody could see the job anyway), and with ``SKIP LOCKED`` so it never waits:
    progress is shown at best effort, the outcome is saved by the write transaction itself.
    """

    def __init__(self, unit_import_id: int) -> None:
        self.unit_import_id = unit_import_id
        self.side = None
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)
            table = self.side.ops.quote_name(UnitImport._meta.db_table)
            self.sql = (
                f"UPDATE {table} SET imported_rows = %s"  # noqa: S608 - the table name is ours, values are bound
                f" WHERE id = (SELECT id FROM {table} WHERE id = %s FOR UPDATE SKIP LOCKED)"
            )

    def save(self, imported: int) -> None:
        if self.side is None:
            return
        try:
            with self.side.cursor() as cursor:
                cursor.execute(self.sql, [imported, self.unit_import_id])
        except DatabaseError:
            logger.warning("unit import %s: progress not saved", self.unit_import_id, exc_info=True)
            self.close()

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


def _write(unit_import: UnitImport, checker: _Checker, processed: int) -> None:
    errors = checker.errors
    progress = _WriteProgress(unit_import.pk)
    try:
        with transaction.atomic():
            rows, customer_ids = _customers(checker, errors)
            # In serial order, so that two imports lock index entries in the same order and wait for
            # each other instead of deadlocking.
            rows.sort(key=attrgetter("serial"))
            imported = 0
            for batch in _chunks(rows, WRITE_BATCH):
                written, taken = _write_units(batch, customer_ids)
                for row in taken:
                    errors.add(
                        row.number,
                        "serial",
                        "serial_registered",
                        _("The serial number %(serial)s was registered meanwhile.") % {"serial": row.serial},
                    )
                if taken and unit_import.mode == UnitImportMode.ALL_OR_NOTHING:
                    raise _Rejected
                imported += written
                progress.save(imported)
            if not imported:
                raise _Rejected
            _finish(
                unit_import, status=UnitImportStatus.SUCCEEDED, errors=errors, imported=imported, processed=processed
            )
    except _Rejected:
        _finish(unit_import, status=UnitImportStatus.FAILED, errors=errors, processed=processed)
    finally:
        progress.close()


def _customers(checker: _Checker, errors: _ErrorLog) -> tuple[list[_Row], dict[str, int]]:
    """Each phone's customer: the oldest with that number, else created once from the first row naming it."""
    rows = checker.valid
    phones = sorted({row.phone for row in rows if row.phone})
    lock_phones(phones)  # a customer registered by a request meanwhile is found, not created twice
    customer_ids: dict[str, int] = {}
    for some in _chunks(phones, WRITE_BATCH):
        for pk, phone in Customer.objects.filter(phone__in=some).order_by("pk").values_list("pk", "phone"):
            customer_ids.setdefault(phone, pk)
    missing = [phone for phone in phones if phone not in customer_ids]
    lost = {phone for phone in missing if phone not in checker.new_customers}
    if lost:
        # Deleted between the passes; the rows named no customer to create instead.
        for row in rows:
            if row.phone in lost:
                errors.add(row.number, "customer_phone", "customer_gone", _("The customer was deleted meanwhile."))
        rows = [row for row in rows if row.phone not in lost]
    created = Customer.objects.bulk_create(
        [
            Customer(
                phone=phone,
                name=checker.new_customers[phone].name,
                email=checker.new_customers[phone].email,
                address=checker.new_customers[phone].address,
            )
            for phone in missing
            if phone not in lost
        ],
        batch_size=WRITE_BATCH,
    )
    customer_ids.update({customer.phone: customer.pk for customer in created})
    return rows, customer_ids


def _write_units(batch: list[_Row], customer_ids: dict[str, int]) -> tuple[int, list[_Row]]:
    """Insert one batch; rows whose serial someone registered meanwhile are left out and returned."""
    taken_rows: list[_Row] = []
    for _attempt in range(3):
        units = [
            RegisteredUnit(
                serial=row.serial,
                product_model_id=row.product_model_id,
                customer_id=customer_ids.get(row.phone),
                purchase_date=row.purchase_date,
                install_date=row.install_date,
                sales_channel=row.sales_channel,
            )
            for row in batch
        ]
        try:
            with transaction.atomic():
                RegisteredUnit.objects.bulk_create(units)
        except IntegrityError:
            taken = set(
                RegisteredUnit.objects.filter(serial__in=[row.serial for row in batch]).values_list("serial", flat=True)
            )
            if not taken:
                raise
            taken_rows += [row for row in batch if row.serial in taken]
            batch = [row for row in batch if row.serial not in taken]
            continue
        return len(units), taken_rows
    raise IntegrityError("serial numbers kept being registered while the batch was written")
