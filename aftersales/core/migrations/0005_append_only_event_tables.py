"""The existing event tables become append-only (aftersales/core/appendonly.py).

Kept in core so the apps' own migration histories stay untouched; a new app adds its event table
with ``AppendOnly("app_label.Model")`` in one of its own migrations instead.
"""

from django.db import migrations

from aftersales.core.appendonly import AppendOnly


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_audit_log"),
        ("tickets", "0002_default_sla_matrix"),
        ("warranty", "0002_unit_imports"),
    ]

    operations = [
        AppendOnly("core.ClockEvent"),
        AppendOnly("core.DeliveryAttempt"),
        AppendOnly("tickets.TicketEvent"),
        AppendOnly("warranty.EntitlementDecision"),
    ]
