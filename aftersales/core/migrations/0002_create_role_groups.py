"""Create the staff role groups so every install has them (REQUIREMENTS §1).

Self-contained: the role names and core's grants as they were when this migration was written, no
live code. The grants of every app's later models (and any grant added to ``<app>/permissions.py``
since) are added after each ``migrate`` by ``aftersales.core.roles.sync_after_migrate``.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = ("agent", "technician", "supervisor", "manager", "coordinator")

_CUSTOMER_READ = ["core.view_customer", "core.view_region"]
_CONTACT = ["core.view_customer_contact"]
_CALENDAR_READ = ["core.view_businesscalendar", "core.view_workingperiod", "core.view_calendarday"]
_SLA_READ = ["core.view_slaclock", "core.view_clockevent"]
_MANAGE_CUSTOMERS = ["core.add_customer", "core.change_customer"]
_OUTBOX = ["core.view_outboxmessage", "core.view_deliveryattempt"]

GRANTS = {
    "agent": [*_CUSTOMER_READ, *_CONTACT, *_MANAGE_CUSTOMERS, *_CALENDAR_READ, *_SLA_READ],
    "technician": [*_CUSTOMER_READ, *_CONTACT],
    "supervisor": [*_CUSTOMER_READ, *_CONTACT, *_MANAGE_CUSTOMERS, *_CALENDAR_READ, *_SLA_READ, *_OUTBOX],
    "manager": [*_CUSTOMER_READ, *_CALENDAR_READ, *_SLA_READ],
    "coordinator": [*_CUSTOMER_READ, *_SLA_READ, "core.view_outboxmessage"],
}


def create_role_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; create those of the models that
    # exist so far now, so the groups start with them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    existing = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in permission_model.objects.values_list("pk", "content_type__app_label", "codename")
    }
    for role in ROLES:
        group, _ = group_model.objects.get_or_create(name=role)
        group.permissions.add(*[existing[name] for name in GRANTS[role] if name in existing])


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
