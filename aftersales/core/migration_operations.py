"""Migration operations the apps' migrations share (self-contained: no live models, no app code).

``TrackingHashesMove("tickets", "ticket")`` moves a case table's ``tracking_token_hash`` column into
``core.TrackingLink`` (one table of links for every kind of case): each hash becomes one link
(purpose ``migrated``) to its case, so every link customers hold keeps working and no history is
rewritten. One ``INSERT … SELECT`` (a million rows in seconds); reversing puts the earliest link of
each case back into the column. The column itself is dropped by a ``RemoveField`` after it.
"""

from __future__ import annotations

from django.db import migrations


class TrackingHashesMove(migrations.RunPython):
    def __init__(self, app_label: str, model_name: str):
        self.app_label, self.model_name = app_label, model_name
        super().__init__(self._forwards, self._backwards)

    def deconstruct(self):
        return self.__class__.__qualname__, [self.app_label, self.model_name], {}

    def describe(self) -> str:
        return f"Move {self.app_label}.{self.model_name}.tracking_token_hash into core.TrackingLink"

    def _table(self, apps) -> str:
        return apps.get_model(self.app_label, self.model_name)._meta.db_table

    def _content_type(self, apps, *, create: bool):
        content_types = apps.get_model("contenttypes", "ContentType").objects
        if create:
            return content_types.get_or_create(app_label=self.app_label, model=self.model_name)[0]
        return content_types.filter(app_label=self.app_label, model=self.model_name).first()

    def _forwards(self, apps, schema_editor):
        table = schema_editor.quote_name(self._table(apps))
        schema_editor.execute(
            "INSERT INTO core_trackinglink (token_hash, content_type_id, object_id, purpose, created_at) "  # noqa: S608
            f"SELECT tracking_token_hash, %s, id, 'migrated', created_at FROM {table} "
            "WHERE tracking_token_hash IS NOT NULL",
            [self._content_type(apps, create=True).pk],
        )

    def _backwards(self, apps, schema_editor):
        content_type = self._content_type(apps, create=False)
        if content_type is None:
            return
        table = schema_editor.quote_name(self._table(apps))
        schema_editor.execute(
            f"UPDATE {table} SET tracking_token_hash = (SELECT token_hash FROM core_trackinglink link "  # noqa: S608
            f"WHERE link.content_type_id = %s AND link.object_id = {table}.id ORDER BY link.id LIMIT 1)",
            [content_type.pk],
        )
        schema_editor.execute("DELETE FROM core_trackinglink WHERE content_type_id = %s", [content_type.pk])
