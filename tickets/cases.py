"""The ticket as a kind of case: the spec the case kit, the admin, the sweep and the portal read.

Registered in ``apps.py`` (``register_case``). See aftersales/core/cases/spec.py for what each field
means and docs/architecture.md for how a kind of case plugs in.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aftersales.core.cases import CasePeople, CaseSpec, CaseWording, PauseRule
from aftersales.core.notifications import users_in_role
from aftersales.core.roles import AGENT
from warranty.services import AlreadyAnswered

from . import sla
from .actions import ACTIONS, AlreadyRated
from .choices import PAUSED_STATUSES, ClockName, Status
from .models import Ticket, TicketAttachment, TicketEvent
from .notifications import staff_for_role
from .selectors import tickets_visible_to

# An internal note is part of working the ticket (answering, diagnosing, dispatching, repairing); a
# note the customer reads is part of keeping them informed: the service desk's (PUBLISH).
NOTE_PERMISSIONS = (
    "tickets.respond_ticket",
    "tickets.diagnose_ticket",
    "tickets.dispatch_ticket",
    "tickets.work_ticket",
)
PUBLISH = "tickets.respond_ticket"

TICKETS = CaseSpec(
    kind="ticket",
    model=Ticket,
    event_model=TicketEvent,
    actions=ACTIONS,
    status_choices=Status,
    people=CasePeople(
        responsible=lambda ticket: staff_for_role("assignee", ticket),
        desk=lambda members=users_in_role: members(AGENT),
        visible_to=tickets_visible_to,
        note_permissions=NOTE_PERMISSIONS,
        publish_permission=PUBLISH,
        attach_permission="tickets.add_ticketattachment",
    ),
    lock_related=("customer", "unit__product_model"),
    conflicts=(AlreadyRated, AlreadyAnswered),
    wording=CaseWording(
        not_now="{action} is not possible while the ticket is {status}.",
        closed_to_files=_("This request is closed; files can no longer be added."),
        too_many_files=_("A request holds at most %(max)d files; this one has reached the limit."),
    ),
    clocks=sla.CLOCKS,
    clock_names=ClockName,
    # Waiting on someone outside the service desk stops the work clocks (REQUIREMENTS §3).
    pauses=(PauseRule(statuses=PAUSED_STATUSES),),
    clock_handlers=((Ticket, sla.on_clock_events, False),),
    attachment_model=TicketAttachment,
    max_attachments=10,  # photos of the fault and the paperwork, not an archive
    # A customer adds files while the request is open or waiting for them to confirm; staff at any time.
    closed_to_customer=frozenset({Status.CLOSED, Status.CANCELLED}),
    event_labels={
        "create": _("Registered"),
        "safety_flag": _("Safety words in the description: triage as critical"),
        "customer_message": _("Message from the customer"),
        "note": _("Note"),
        "rate": _("Survey answered"),
        "standby_lent": _("Standby unit lent"),
        "standby_returned": _("Standby unit returned"),
        "attachment_added": _("File added"),
        "work_recorded": _("Labour and travel recorded"),
        "part_recorded": _("Part recorded"),
    },
    customer_event_labels={
        "create": _("Request received"),
        "customer_message": _("Your message"),
        "note": _("Message from our service team"),
        "rate": _("Rated"),
        "standby_lent": _("Standby unit lent"),
        "standby_returned": _("Standby unit returned"),
        "attachment_added": _("File added"),
    },
    # The note of a file event is the file's name; of a public file, that is what staff chose to show.
    customer_note_actions=("note", "attachment_added"),
    customer_message_template="ticket_customer_message",
    trackable="tickets.trackable.TicketTrackable",
    portal_urls="tickets.portal.urls",
    portal_card="tickets/portal/_home_card.html",
    portal_start="tickets_portal:request",
    portal_unit_query="serial={serial}&ticket_type=repair",
    portal_promises="tickets.portal.promises.home_promises",
)
