"""Append-only tables, enforced by the database itself.

Event tables are the audit trail (REQUIREMENTS §9): once a row is written nobody — not the
application, not an admin action, not a stray ``QuerySet.update()`` or a cascade — may change or
remove it. A trigger refuses every row-level ``UPDATE`` and ``DELETE``; ``INSERT`` and ``TRUNCATE``
(used by test flushes and by an operator wiping a database on purpose) still work.

An app makes its event table append-only with one operation in one of its migrations::

    from aftersales.core.appendonly import AppendOnly

    operations = [..., AppendOnly("complaints.ComplaintEvent")]

PostgreSQL (production, tests) and SQLite (``make run``) are supported; other backends are left
alone. Reversing the migration drops the triggers.
"""

from __future__ import annotations

from django.db import migrations

# One shared function raises for every table; SQLSTATE 23001 (restrict_violation) reaches Django as
# an IntegrityError, like a foreign key refusing a delete.
_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION core_refuse_append_only_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
"""


def _trigger_name(table: str, operation: str) -> str:
    return f"{table}_no_{operation.lower()}"


def install_sql(vendor: str, table: str) -> list[str]:
    """The statements that make ``table`` append-only on this database vendor."""
    quoted = f'"{table}"'
    if vendor == "postgresql":
        return [
            _PG_FUNCTION,
            f"DROP TRIGGER IF EXISTS {_trigger_name(table, 'change')} ON {quoted};",
            f"CREATE TRIGGER {_trigger_name(table, 'change')} BEFORE UPDATE OR DELETE ON {quoted} "
            "FOR EACH ROW EXECUTE FUNCTION core_refuse_append_only_change();",
        ]
    if vendor == "sqlite":
        return [
            statement
            for operation in ("UPDATE", "DELETE")
            for statement in (
                f"DROP TRIGGER IF EXISTS {_trigger_name(table, operation)};",
                f"CREATE TRIGGER {_trigger_name(table, operation)} BEFORE {operation} ON {quoted} "
                f"BEGIN SELECT RAISE(ABORT, 'table {table} is append-only: {operation} refused'); END;",
            )
        ]
    return []


def uninstall_sql(vendor: str, table: str) -> list[str]:
    quoted = f'"{table}"'
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {_trigger_name(table, 'change')} ON {quoted};"]
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {_trigger_name(table, operation)};" for operation in ("UPDATE", "DELETE")]
    return []


class AppendOnly(migrations.operations.base.Operation):
    """Migration operation: refuse UPDATE and DELETE on the table of ``model`` ("app_label.Model")."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model: str):
        self.model = model

    def deconstruct(self):
        return (self.__class__.__qualname__, [self.model], {})

    def state_forwards(self, app_label, state):
        pass  # the model's state does not change, only the database's behaviour

    def _table(self, state) -> str:
        app_label, model_name = self.model.split(".")
        return state.apps.get_model(app_label, model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for statement in install_sql(schema_editor.connection.vendor, self._table(to_state)):
            schema_editor.execute(statement, params=None)  # no parameters: "%" is literal

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for statement in uninstall_sql(schema_editor.connection.vendor, self._table(from_state)):
            schema_editor.execute(statement, params=None)  # no parameters: "%" is literal

    def describe(self):
        return f"Make {self.model} append-only (UPDATE and DELETE refused)"

    @property
    def migration_name_fragment(self):
        return f"append_only_{self.model.split('.')[1].lower()}"
