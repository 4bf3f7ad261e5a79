"""The tracking links' hashes move to ``core.TrackingLink`` (aftersales/core/migration_operations.py)."""

from django.db import migrations

from aftersales.core.migration_operations import TrackingHashesMove


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0006_quote_query_name"),
        ("core", "0007_tracking_links"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        TrackingHashesMove("tickets", "ticket"),
        migrations.RemoveField(model_name="ticket", name="tracking_token_hash"),
    ]
