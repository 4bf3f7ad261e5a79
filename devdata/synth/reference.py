"""The rows everything synthetic refers to: regions, product models, staff, the SLA policies and calendars."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.contenttypes.models import ContentType

from aftersales.core.calendars.engine import CalendarSpec
from aftersales.core.calendars.services import DEFAULT_24X7_CODE, calendar_ensure_defaults, calendar_specs
from aftersales.core.models import BusinessCalendar, Region
from complaints.models import ComplaintSlaPolicy
from tickets.models import SlaPolicy, Ticket
from warranty.models import ProductCategory, ProductModel

from . import staff


@dataclass
class Reference:
    regions: list
    product_models: list
    agents: list
    supervisors: list
    technicians: list
    policies: dict
    specs: dict[int, CalendarSpec]
    always_calendar_id: int
    complaint_policies: dict
    ticket_type_id: int

    def policy(self, ticket_type: str, priority: str, tier: str) -> SlaPolicy | None:
        """The SLA matrix row for a ticket, as ``tickets`` picks it (a tier's own row, else the any-tier one)."""
        return self.policies.get((ticket_type, priority, tier)) or self.policies.get((ticket_type, priority, ""))


def reference_rows(tickets: int, today: date) -> Reference:
    calendar_ensure_defaults()
    regions = [
        Region.objects.get_or_create(code=f"synth-{code}", defaults={"name": f"Synthetic {code}"})[0]
        for code in ("east", "north", "south", "west")
    ]
    category, _ = ProductCategory.objects.get_or_create(code="synth-ac", defaults={"name": "Synthetic AC"})
    product_models = [
        ProductModel.objects.get_or_create(
            code=f"SYN-{index}", defaults={"name": f"SYN-{index}", "category": category}
        )[0]
        for index in range(1, 6)
    ]
    technicians = staff.technicians(max(10, min(200, tickets // 5000)), regions=regions, category=category, today=today)
    policies = {}
    for policy in SlaPolicy.objects.all():
        policies[(policy.ticket_type, policy.priority, policy.customer_tier)] = policy
    calendar_ids = {policy.calendar_id for policy in policies.values()}
    always = BusinessCalendar.objects.get(code=DEFAULT_24X7_CODE)
    return Reference(
        regions=regions,
        product_models=product_models,
        agents=staff.agents(),
        supervisors=staff.supervisors(),
        technicians=technicians,
        policies=policies,
        specs=calendar_specs(calendar_ids | {always.pk}),
        always_calendar_id=always.pk,
        complaint_policies={policy.severity: policy for policy in ComplaintSlaPolicy.objects.all()},
        ticket_type_id=ContentType.objects.get_for_model(Ticket).pk,
    )
