"""Writing rows fast: PostgreSQL ``COPY`` in its text format, on a second connection in a thread.

Also the load's housekeeping: the next free id of a table, secondary indexes dropped before the load
and rebuilt after it, and the id sequences set past the loaded rows.
"""

from __future__ import annotations

import io
import json
import queue
import threading
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, models


def _escape(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _json(value) -> str:
    return _escape(json.dumps(value, ensure_ascii=False))


_FORMATS: dict[type, Callable] = {
    str: _escape,
    int: str,
    Decimal: str,
    bool: lambda value: "t" if value else "f",
    datetime: datetime.isoformat,
    date: date.isoformat,
    type(None): lambda value: "\\N",
    dict: _json,
    list: _json,
}


def _value(value) -> str:
    """One value in COPY's text format (choice enums are written as their value)."""
    format_ = _FORMATS.get(type(value))
    return format_(value) if format_ else _escape(str(value))


class Table:
    """Rows for one model's table: the given columns, then every other column at its default."""

    def __init__(self, model: type[models.Model], attnames: Iterable[str], now: datetime) -> None:
        self.model = model
        self.attnames = list(attnames)
        given = set(self.attnames)
        rest = []
        for item in model._meta.concrete_fields:
            if item.attname in given or (item.primary_key and item.attname == "id"):
                continue
            rest.append((item.column, _value(self._default(item, now))))
        self.columns = ["id", *(model._meta.get_field(name).column for name in self.attnames)]
        self.columns += [column for column, _ in rest]
        self.suffix = "".join("\t" + text for _, text in rest) + "\n"
        self.buffer = io.StringIO()
        self.count = 0
        self.total = 0

    @staticmethod
    def _default(item: models.Field, now: datetime):
        if getattr(item, "auto_now", False) or getattr(item, "auto_now_add", False):
            return now
        if item.has_default():
            return item.get_default()
        if item.null:
            return None
        if item.blank and isinstance(item, models.CharField | models.TextField | models.FileField):
            return ""
        raise ValueError(f"synth: no value for {item.model.__name__}.{item.name}")

    def add(self, pk: int, values: tuple) -> None:
        self.buffer.write(f"{pk}\t" + "\t".join([_value(value) for value in values]) + self.suffix)
        self.count += 1
        self.total += 1

    def take(self) -> tuple[str, list[str], io.StringIO] | None:
        if not self.count:
            return None
        buffer, self.buffer, self.count = self.buffer, io.StringIO(), 0
        buffer.seek(0)
        return self.model._meta.db_table, self.columns, buffer


class CopyWriter:
    """COPY batches on a second connection in a thread, so the database loads while Python generates."""

    def __init__(self) -> None:
        import psycopg2

        params = connection.get_connection_params()
        self._connection = psycopg2.connect(**params)
        with self._connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
        self._connection.commit()
        try:
            # Rows are consistent by construction; skipping the per-row foreign-key triggers halves the
            # load time. Needs a superuser (true for the benchmark database); otherwise checks stay on.
            with self._connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = replica")
            self._connection.commit()
        except psycopg2.Error:
            self._connection.rollback()
        self._queue: queue.Queue = queue.Queue(maxsize=3)
        self._error: BaseException | None = None
        self.rows = 0
        self.seconds: dict[str, float] = {}
        self._thread = threading.Thread(target=self._run, name="synth-copy", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error:
                continue
            table, columns, buffer = item
            began = time.perf_counter()
            try:
                with self._connection.cursor() as cursor:
                    quoted = ", ".join(f'"{column}"' for column in columns)
                    cursor.copy_expert(f'COPY "{table}" ({quoted}) FROM STDIN', buffer)
                self._connection.commit()
                self.seconds[table] = self.seconds.get(table, 0.0) + time.perf_counter() - began
            except BaseException as error:  # reported to the generating thread by put()/close()
                self._error = error

    def put(self, *tables: Table) -> None:
        if self._error:
            raise self._error
        for table in tables:
            self.rows += table.count
            if (item := table.take()) is not None:
                self._queue.put(item)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._connection.close()
        if self._error:
            raise self._error


def next_id(model: type[models.Model]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{model._meta.db_table}"')  # noqa: S608
        return cursor.fetchone()[0]


def drop_secondary_indexes(models_: Iterable[type[models.Model]]) -> list[str]:
    tables = [model._meta.db_table for model in models_]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY(%s) "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [tables],
        )
        found = cursor.fetchall()
        for name, _ in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in found]


def create_indexes(definitions: Iterable[str]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for definition in definitions:
            cursor.execute(definition)


def reset_sequence(model: type[models.Model]) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT MAX(id) FROM \"{table}\"), 1))",  # noqa: S608
            [table],
        )
