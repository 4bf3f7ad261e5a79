"""The tracking links' hashes move to ``core.TrackingLink`` (aftersales/core/migration_operations.py)."""

from django.db import migrations

from aftersales.core.migration_operations import TrackingHashesMove


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0004_append_only_events"),
        ("core", "0007_tracking_links"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        TrackingHashesMove("complaints", "complaint"),
        migrations.RemoveField(model_name="complaint", name="tracking_token_hash"),
    ]
