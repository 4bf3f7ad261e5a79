"""The complaint as a kind of case: the spec the case kit, the admin, the sweep and the portal read.

Registered in ``apps.py`` (``register_case``). See aftersales/core/cases/spec.py for what each field
means and docs/architecture.md for how a kind of case plugs in.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aftersales.core.cases import CasePeople, CaseSpec, CaseWording, PauseRule
from aftersales.core.notifications import users_in_role
from aftersales.core.roles import AGENT

from . import sla
from .actions import ACTIONS, INVESTIGATE, RESPOND
from .choices import ClockName, Status
from .models import Complaint, ComplaintAttachment, ComplaintEvent, CorrectiveAction
from .selectors import complaints_visible_to

NOTE_PERMISSIONS = (RESPOND, INVESTIGATE)

COMPLAINTS = CaseSpec(
    kind="complaint",
    model=Complaint,
    event_model=ComplaintEvent,
    actions=ACTIONS,
    status_choices=Status,
    people=CasePeople(
        responsible=lambda complaint: sla.staff_for_rung("owner", complaint),
        desk=lambda members=users_in_role: members(AGENT),
        visible_to=complaints_visible_to,
        note_permissions=NOTE_PERMISSIONS,
        publish_permission=RESPOND,
        attach_permission="complaints.add_complaintattachment",
    ),
    lock_related=("customer", "owner", "sla_policy"),
    wording=CaseWording(
        not_now="{action} is not possible while the complaint is {status}.",
        closed_to_files="This complaint is closed; files can no longer be added.",
        too_many_files=_("A complaint holds at most %(max)d files; this one has reached the limit."),
    ),
    clocks=sla.CLOCKS,
    clock_names=ClockName,
    pauses=(
        PauseRule(statuses=frozenset({Status.PROPOSED}), clocks=(ClockName.RESOLUTION,), note=sla.AWAITING_ANSWER),
    ),
    clock_handlers=(
        (Complaint, sla.on_complaint_clock_events, False),
        # A corrective action is a dependent row of its complaint (the lock order), with a clock of its own.
        (CorrectiveAction, sla.on_corrective_clock_events, True),
    ),
    attachment_model=ComplaintAttachment,
    max_attachments=10,  # photos and paperwork, not an archive
    # A customer adds files until the complaint is archived or withdrawn; staff at any time.
    closed_to_customer=frozenset({Status.CLOSED, Status.WITHDRAWN}),
    event_labels={
        "create": _("Registered"),
        "customer_message": _("Message from the customer"),
        "note": _("Note"),
        "escalate": _("Escalated"),
        "duplicate_linked": _("The customer complained again (linked)"),
        "corrective_action": _("Corrective action planned"),
        "corrective_done": _("Corrective action done"),
        "corrective_verified": _("Corrective action verified"),
        "corrective_rejected": _("Corrective action not effective"),
        "breach_explained": _("Late promise explained"),
    },
    customer_event_labels={
        "create": _("Complaint received"),
        "customer_message": _("Your message"),
        "note": _("Message from our service team"),
        "attachment_added": _("File added"),
        "follow_original": _("Handled together with the earlier complaint"),
    },
    customer_message_template="complaint_customer_message",
    trackable="complaints.trackable.ComplaintTrackable",
    portal_urls="complaints.portal.urls",
    portal_card="complaints/portal/_home_card.html",
    portal_start="complaints_portal:complaint",
)
