"""The tracking links' hashes move to ``core.TrackingLink`` (one table for every kind of case).

Each complaint's ``tracking_token_hash`` becomes one link (purpose ``migrated``) to that complaint, so every
link customers hold keeps working; no history is rewritten. Copied with one ``INSERT … SELECT``
(a million rows in seconds), then the column is dropped.
"""

from django.db import migrations


def copy_hashes(apps, schema_editor):
    content_type_model = apps.get_model("contenttypes", "ContentType")
    content_type, _ = content_type_model.objects.get_or_create(app_label="complaints", model="complaint")
    schema_editor.execute(
        "INSERT INTO core_trackinglink (token_hash, content_type_id, object_id, purpose, created_at) "
        "SELECT tracking_token_hash, %s, id, 'migrated', created_at FROM complaints_complaint "
        "WHERE tracking_token_hash IS NOT NULL",
        [content_type.pk],
    )


def restore_hashes(apps, schema_editor):
    """Back to the column: the earliest link of each complaint (later ones have no column to go to)."""
    content_type_model = apps.get_model("contenttypes", "ContentType")
    content_type = content_type_model.objects.filter(app_label="complaints", model="complaint").first()
    if content_type is None:
        return
    schema_editor.execute(
        "UPDATE complaints_complaint SET tracking_token_hash = ("
        "SELECT token_hash FROM core_trackinglink link WHERE link.content_type_id = %s "
        "AND link.object_id = complaints_complaint.id ORDER BY link.id LIMIT 1)",
        [content_type.pk],
    )
    schema_editor.execute("DELETE FROM core_trackinglink WHERE content_type_id = %s", [content_type.pk])


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0004_append_only_events"),
        ("core", "0006_tracking_links"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(copy_hashes, restore_hashes),
        migrations.RemoveField(model_name="complaint", name="tracking_token_hash"),
    ]
