"""Streamed CSV and XLSX of a records list or a dashboard table: no row cap, constant memory.

The header names the metric, its formula and the filters, so an exported file explains itself.
CSV rows stream straight from a server-side cursor (``iterator``); XLSX is written row by row by
openpyxl's write-only workbook into a temporary file, which is then streamed.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator

from django.http import FileResponse, StreamingHttpResponse
from openpyxl import Workbook

CHUNK = 2000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value):
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        from django.utils import timezone

        return timezone.localtime(value).isoformat()
    return value


def csv_response(*, filename: str, header: Iterable[list], columns: list[str], rows: Iterable) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # Excel reads UTF-8 (Chinese labels) only with a byte-order mark
        for line in header:
            yield writer.writerow(line)
        yield writer.writerow(columns)
        for row in rows:
            yield writer.writerow([_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(*, filename: str, header: Iterable[list], columns: list[str], rows: Iterable) -> FileResponse:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    for line in header:
        sheet.append(line)
    sheet.append(columns)
    for row in rows:
        sheet.append([_cell(value) for value in row])
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when the download ends
    book.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX)
