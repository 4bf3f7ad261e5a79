"""The tracking links' hashes move to ``core.TrackingLink`` (one table for every kind of case).

Each ticket's ``tracking_token_hash`` becomes one link (purpose ``migrated``) to that ticket, so every
link customers hold keeps working; no history is rewritten. Copied with one ``INSERT … SELECT``
(a million rows in seconds), then the column is dropped.
"""

from django.db import migrations


def copy_hashes(apps, schema_editor):
    content_type_model = apps.get_model("contenttypes", "ContentType")
    content_type, _ = content_type_model.objects.get_or_create(app_label="tickets", model="ticket")
    schema_editor.execute(
        "INSERT INTO core_trackinglink (token_hash, content_type_id, object_id, purpose, created_at) "
        "SELECT tracking_token_hash, %s, id, 'migrated', created_at FROM tickets_ticket "
        "WHERE tracking_token_hash IS NOT NULL",
        [content_type.pk],
    )


def restore_hashes(apps, schema_editor):
    """Back to the column: the earliest link of each ticket (later ones have no column to go to)."""
    content_type_model = apps.get_model("contenttypes", "ContentType")
    content_type = content_type_model.objects.filter(app_label="tickets", model="ticket").first()
    if content_type is None:
        return
    schema_editor.execute(
        "UPDATE tickets_ticket SET tracking_token_hash = ("
        "SELECT token_hash FROM core_trackinglink link WHERE link.content_type_id = %s "
        "AND link.object_id = tickets_ticket.id ORDER BY link.id LIMIT 1)",
        [content_type.pk],
    )
    schema_editor.execute("DELETE FROM core_trackinglink WHERE content_type_id = %s", [content_type.pk])


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0005_list_order_index"),
        ("core", "0006_tracking_links"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(copy_hashes, restore_hashes),
        migrations.RemoveField(model_name="ticket", name="tracking_token_hash"),
    ]
