"""The ticket panels of the staff start page (``aftersales.core.workspace``), registered in ``apps.ready``.

Agents see the first responses due and the customers who wrote last; technicians their visits today
and their open tickets; supervisors what nobody owns and what is late.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.core.privacy import customer_privacy
from aftersales.core.workspace import (
    CaseQueue,
    CaseQueues,
    Panel,
    PanelRow,
    panel_content,
    panel_register,
)

from .cases import TICKETS
from .choices import OPEN_STATUSES, Status
from .selectors import tickets_visible_to


def _detail(ticket) -> str:
    model = ticket.unit.product_model.name if ticket.unit_id else ""
    return " · ".join(part for part in (str(ticket.get_ticket_type_display()), model, ticket.customer.name) if part)


QUEUES = CaseQueues(
    spec=TICKETS,
    owner_field="assignee",
    open_statuses=OPEN_STATUSES,
    detail=_detail,
    select_related=("customer", "unit__product_model"),
    waiting_statuses=frozenset({Status.NEW}),
    # A new request is the desk's to acknowledge; "unassigned" is what waits for a technician.
    unassigned_statuses=OPEN_STATUSES - {Status.NEW},
)


def _visits_today(user, now: datetime):
    """The technician's appointments today, in order, with where to go and whom to call (if allowed)."""
    if not user.has_perm("tickets.view_ticket"):
        return None
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    visits = (
        tickets_visible_to(user)
        .filter(assignee=user, status__in=list(OPEN_STATUSES), appointment_at__gte=start)
        .filter(appointment_at__lt=start + timedelta(days=1))
        .select_related("customer", "unit__product_model")
        .order_by("appointment_at", "pk")
    )
    privacy = customer_privacy(user)

    def row(ticket) -> PanelRow:
        customer = ticket.customer
        where = [privacy.value("address", customer.address), privacy.value("phone", customer.phone)]
        detail = " · ".join(part for part in (_detail(ticket), *where) if part)
        return PanelRow(
            title=f"{timezone.localtime(ticket.appointment_at):%H:%M} {ticket.number}",
            url=TICKETS.staff_url(ticket),
            detail=detail,
        )

    return panel_content(visits, row, QUEUES.changelist_url("queue=mine"))


def register_panels() -> None:
    panel_register(
        QUEUES.panel(
            CaseQueue.WAITING,
            key="tickets.first_responses",
            title=_("Requests waiting for a first response"),
            roles={"agent", "supervisor"},
            order=10,
            empty=_("No first responses due."),
        )
    )
    panel_register(
        Panel(
            key="tickets.visits_today",
            title=_("My visits today"),
            roles=frozenset({"technician"}),
            read=_visits_today,
            order=5,
            empty=_("No visits booked for today."),
        )
    )
    panel_register(
        QUEUES.panel(
            CaseQueue.MINE,
            key="tickets.mine",
            title=_("My open tickets"),
            roles={"technician"},
            order=20,
            empty=_("No open tickets assigned to you."),
        )
    )
    panel_register(
        QUEUES.panel(
            CaseQueue.REPLIED,
            key="tickets.replied",
            title=_("Requests where the customer wrote last"),
            roles={"agent", "technician", "supervisor"},
            order=30,
            empty=_("No customer is waiting for an answer."),
        )
    )
    panel_register(
        QUEUES.panel(
            CaseQueue.UNASSIGNED,
            key="tickets.unassigned",
            title=_("Tickets without a technician"),
            roles={"supervisor"},
            order=40,
            empty=_("Every open ticket has a technician."),
        )
    )
    panel_register(
        QUEUES.panel(
            CaseQueue.BREACHED,
            key="tickets.breached",
            title=_("Late tickets"),
            roles={"supervisor", "manager"},
            order=50,
            empty=_("No ticket is late."),
        )
    )
