"""The default SLA matrix of REQUIREMENTS §4, so every install enforces promises from day one.

Minutes, on the 7×24 calendar (the sources state wall-clock hours); administrators change any cell,
or move it to the business calendar, in the admin.
"""

from django.db import migrations

H = 60
# type: {priority: (first response, on site / restore, resolution)}
DEFAULTS = {
    "repair": {
        "critical": (1 * H, 4 * H, 24 * H),  # 1 h [002 §4]; restore or swap in 4 h [002 §11]; 24 h
        "high": (2 * H, 24 * H, 48 * H),  # 2 h [000 P2§二]; on site 24 h [000 P1§3(2)]; 48 h
        "normal": (24 * H, 72 * H, 72 * H),  # 24 h [004 §6.2]; diagnosis 72 h [004 §3.1]; 72 h [000 P2§2.3]
        "low": (24 * H, 72 * H, 120 * H),
    },
    "installation": {
        "critical": (1 * H, 24 * H, 48 * H),
        "high": (2 * H, 24 * H, 48 * H),
        "normal": (24 * H, 48 * H, 72 * H),
        "low": (24 * H, 72 * H, 120 * H),
    },
    "maintenance": {
        "critical": (2 * H, 24 * H, 48 * H),
        "high": (4 * H, 48 * H, 72 * H),
        "normal": (24 * H, 72 * H, 120 * H),
        "low": (24 * H, 120 * H, 168 * H),
    },
    "consultation": {  # 24 h first response [000 P2§二], answered in 72 h
        "critical": (1 * H, None, 24 * H),
        "high": (2 * H, None, 48 * H),
        "normal": (24 * H, None, 72 * H),
        "low": (24 * H, None, 72 * H),
    },
    "return_exchange": {  # review 24 h after the goods are received [000 P2§二], done in 7 days
        "critical": (4 * H, None, 3 * 24 * H),
        "high": (12 * H, None, 5 * 24 * H),
        "normal": (24 * H, None, 7 * 24 * H),
        "low": (24 * H, None, 7 * 24 * H),
    },
}


def create_matrix(apps, schema_editor):
    calendar_model = apps.get_model("core", "BusinessCalendar")
    policy_model = apps.get_model("tickets", "SlaPolicy")
    always, _ = calendar_model.objects.get_or_create(code="24x7", defaults={"name": "7×24", "always_open": True})
    for ticket_type, cells in DEFAULTS.items():
        for priority, (first_response, on_site, resolution) in cells.items():
            policy_model.objects.get_or_create(
                ticket_type=ticket_type,
                priority=priority,
                customer_tier="",
                defaults={
                    "first_response_minutes": first_response,
                    "on_site_minutes": on_site,
                    "resolution_minutes": resolution,
                    "calendar": always,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_tickets_sla_dispatch"), ("core", "0003_number_sequences")]

    operations = [migrations.RunPython(create_matrix, migrations.RunPython.noop)]
