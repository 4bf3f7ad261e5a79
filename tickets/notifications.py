"""Who hears about what happens to a ticket: the ticket's own people on top of core's role lookup."""

from __future__ import annotations

from aftersales.core import notifications as core_notifications
from aftersales.core.cases.contacts import case_contact

from .models import Ticket


def staff_for_role(role: str, ticket: Ticket, members=core_notifications.users_in_role) -> list:
    """The people behind a rung of the escalation ladder; ``assignee`` is the ticket's technician.

    ``members`` looks up a role group (the sweep passes its batch's cached lookup).
    """
    if role == "assignee":
        return [ticket.assignee] if ticket.assignee and ticket.assignee.is_active else []
    return members(role)


def notify_customer(*, ticket: Ticket, key: str, template: str, context: dict) -> None:
    core_notifications.notify_customer(customer=case_contact(ticket), key=key, template=template, context=context)
