"""The complaint promises of REQUIREMENTS §4, so every install enforces them from day one.

General complaints count working time (1 working day to respond, 3 to resolve, 000 P2§二), on the
office-hours calendar (workdays 09:00–18:00, so a working day is 9 hours); major and critical ones
count every hour (004 §2.3, §1.4.2; 002 §4). Administrators change any of them in the admin.
"""

from datetime import time

from django.db import migrations

H = 60
WORKING_DAY = 9 * H
# severity: (calendar, first response, on site, resolution)
DEFAULTS = {
    "general": ("business", 1 * WORKING_DAY, None, 3 * WORKING_DAY),
    "major": ("24x7", 24 * H, None, 48 * H),
    "critical": ("24x7", 1 * H, 24 * H, 48 * H),
}


def _calendars(apps):
    calendar_model = apps.get_model("core", "BusinessCalendar")
    period_model = apps.get_model("core", "WorkingPeriod")
    business, created = calendar_model.objects.get_or_create(
        code="business", defaults={"name": "工作日 09:00–18:00 (Business hours)"}
    )
    if created:  # the same office hours core's calendar_ensure_defaults creates
        period_model.objects.bulk_create(
            period_model(calendar=business, weekday=weekday, start=time(9), end=time(18)) for weekday in range(5)
        )
    always, _ = calendar_model.objects.get_or_create(code="24x7", defaults={"name": "7×24", "always_open": True})
    return {"business": business, "24x7": always}


def create_policies(apps, schema_editor):
    policy_model = apps.get_model("complaints", "ComplaintSlaPolicy")
    calendars = _calendars(apps)
    for severity, (calendar, first_response, on_site, resolution) in DEFAULTS.items():
        policy_model.objects.get_or_create(
            severity=severity,
            defaults={
                "calendar": calendars[calendar],
                "first_response_minutes": first_response,
                "on_site_minutes": on_site,
                "resolution_minutes": resolution,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial"), ("core", "0001_initial")]

    operations = [migrations.RunPython(create_policies, migrations.RunPython.noop)]
