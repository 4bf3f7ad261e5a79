"""The customer's complaint page: ``/complaint/`` → ``intake.complaint_submit``, then the link once.

The page's flow is every kind's (``aftersales.core.portal.intake.IntakePage``).
Following the complaint is the portal shell's ``/track/<token>/`` (aftersales/portal/views.py),
which shows it through ``complaints.trackable.ComplaintTrackable``.
"""

from __future__ import annotations

from django.conf import settings

from aftersales.core.portal.intake import IntakePage

from ..intake import complaint_submit
from ..models import Complaint
from .forms import ComplaintForm

COMPLAINT_RATE_SCOPE = "portal-complaint"
DEFAULT_COMPLAINT_RATE = "10/hour"
TEMPLATE = "complaints/portal/complaint_form.html"


def complaint_rate() -> str:
    return getattr(settings, "PORTAL_COMPLAINT_RATE_LIMIT", DEFAULT_COMPLAINT_RATE)


def _submit(form: ComplaintForm):
    data = form.cleaned_data
    submitted = complaint_submit(
        category=data["category"],
        name=data["name"],
        phone=data["phone"],
        email=data["email"],
        description=data["description"],
        serial=data["serial"],
        ticket_number=data["ticket_number"],
        attachments=data["photos"],
        intake_link=False,  # the thanks page mints the link it shows
    )
    created = submitted.created
    unmatched = data["ticket_number"] if submitted.ticket_linked is False else ""
    return created.complaint, {
        "linked_to": created.duplicate_of.number if created.duplicate_of else "",
        "unmatched_ticket": unmatched,
    }


COMPLAINT_PAGE = IntakePage(
    model=Complaint,
    form_class=ComplaintForm,
    template=TEMPLATE,
    thanks_template="complaints/portal/complaint_thanks.html",
    form_url="complaints_portal:complaint",
    thanks_url="complaints_portal:complaint-thanks",
    session_key="complaints_portal_created",
    rate_scope=COMPLAINT_RATE_SCOPE,
    rate=complaint_rate,
    submit=_submit,
    initial_keys=("serial", "ticket_number"),
)
complaint_create_view, complaint_thanks = COMPLAINT_PAGE.views()
