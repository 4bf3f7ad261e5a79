"""Every level's promises from day one (respond 2 h, initial handling 24 h, on the 7×24 calendar;
004 §7.2), and an incident's history the database refuses to change or delete."""

from django.db import migrations

from aftersales.core.appendonly import AppendOnly

RESPOND_MINUTES = 2 * 60
INITIAL_HANDLING_MINUTES = 24 * 60


def create_policies(apps, schema_editor):
    calendar_model = apps.get_model("core", "BusinessCalendar")
    policy_model = apps.get_model("emergency", "IncidentSlaPolicy")
    always, _ = calendar_model.objects.get_or_create(code="24x7", defaults={"name": "7×24", "always_open": True})
    for level in (1, 2, 3, 4):
        policy_model.objects.get_or_create(
            level=level,
            defaults={
                "calendar": always,
                "respond_minutes": RESPOND_MINUTES,
                "initial_handling_minutes": INITIAL_HANDLING_MINUTES,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("emergency", "0001_initial"), ("core", "0005_append_only_event_tables")]

    operations = [
        migrations.RunPython(create_policies, migrations.RunPython.noop),
        AppendOnly("emergency.IncidentEvent"),
    ]
