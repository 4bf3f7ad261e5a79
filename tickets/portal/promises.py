"""The service promises of the portal's home page, read from the SLA matrix (REQUIREMENTS §4).

Each line is worded from the repair policies for every customer tier, so editing a policy in the
admin changes what the page promises. "Urgent" on the request form is ``URGENT_PRIORITY``: the line
about urgent faults quotes that priority's policy, so the page and the clock agree.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from aftersales.core.portal.promises import policy_within

from ..choices import Priority, TicketType
from ..models import SlaPolicy

# What ticking "it is urgent" on the public form asks for; staff raise a request to critical after
# checking it, and safety words do so at once (``tickets.safety``).
URGENT_PRIORITY = Priority.HIGH


def repair_policies() -> dict[str, SlaPolicy]:
    """The repair row for every tier, per priority (one query)."""
    rows = SlaPolicy.objects.select_related("calendar").filter(ticket_type=TicketType.REPAIR, customer_tier="")
    return {row.priority: row for row in rows}


def urgent_first_response() -> str | None:
    """ "within 2 hours": the first-response promise of an urgent request, for the form's label."""
    return policy_within(repair_policies().get(URGENT_PRIORITY), "first_response_minutes")


def home_promises() -> list[str]:
    policies = repair_policies()
    normal, urgent, critical = (policies.get(p) for p in (Priority.NORMAL, URGENT_PRIORITY, Priority.CRITICAL))
    lines = []
    first = policy_within(normal, "first_response_minutes")
    first_urgent = policy_within(urgent, "first_response_minutes")
    if first and first_urgent:
        lines.append(
            _("A first response %(normal)s, %(urgent)s when you mark the request urgent.")
            % {"normal": first, "urgent": first_urgent}
        )
    elif first:
        lines.append(_("A first response %(normal)s.") % {"normal": first})
    if on_site := policy_within(urgent, "on_site_minutes"):
        lines.append(_("A technician on site %(within)s for urgent repairs.") % {"within": on_site})
    if safety := policy_within(critical, "first_response_minutes"):
        lines.append(
            _("Smoke, a burning smell, sparks or leaking gas are handled first: a first response %(within)s.")
            % {"within": safety}
        )
    if restore := policy_within(critical, "on_site_minutes"):
        # The standby loan follows the critical on-site clock's breach (tickets.sla, 002 §11).
        lines.append(
            _("If a critical fault is not put right %(within)s, we lend you a replacement unit.") % {"within": restore}
        )
    return lines
