"""A complaint's history is evidence: the database refuses to change or delete its events."""

from django.db import migrations

from aftersales.core.appendonly import AppendOnly


class Migration(migrations.Migration):
    dependencies = [("complaints", "0003_complaint_attachments"), ("core", "0005_append_only_event_tables")]

    operations = [AppendOnly("complaints.ComplaintEvent"), AppendOnly("complaints.StaffComplaintRecord")]
