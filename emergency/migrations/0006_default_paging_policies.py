"""Every install pages from day one: an on-call rota for emergency duty and a chain per level I–III
(level IV, routine maintenance or an enquiry, pages nobody). The rota pages first, then the
coordinators, then the managers; each step waits 5 / 10 / 15 minutes (levels I / II / III) for an
acknowledgement, the chain runs twice, then the executives are alarmed. Levels I and II tell senior
management at once (000 P2§3.3, 002 §3). Plain rows: the coordinators may change them."""

from django.db import migrations

CHAIN = [{"rota": "emergency-duty"}, {"role": "coordinator"}, {"role": "manager"}]
LEVELS = {
    1: {"ack_minutes": 5, "page_executives": True, "channels": ["sms", "email", "in_app"]},
    2: {"ack_minutes": 10, "page_executives": True, "channels": ["sms", "email", "in_app"]},
    3: {"ack_minutes": 15, "page_executives": False, "channels": ["email", "in_app"]},
}


def create_paging(apps, schema_editor):
    rota_model = apps.get_model("emergency", "OnCallRota")
    policy_model = apps.get_model("emergency", "PagingPolicy")
    step_model = apps.get_model("emergency", "PagingStep")
    rota, _ = rota_model.objects.get_or_create(code="emergency-duty", defaults={"name": "Emergency duty"})
    for level, values in LEVELS.items():
        policy, created = policy_model.objects.get_or_create(level=level, defaults={**values, "loops": 2})
        if not created:
            continue
        for position, target in enumerate(CHAIN):
            step_model.objects.create(
                policy=policy, position=position, role=target.get("role", ""), rota=rota if "rota" in target else None
            )


class Migration(migrations.Migration):
    dependencies = [("emergency", "0005_paging_until_acknowledged")]

    operations = [migrations.RunPython(create_paging, migrations.RunPython.noop)]
