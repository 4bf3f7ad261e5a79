"""The customer's page to ask for service: ``/request/`` → ``intake.request_submit``, then the link once.

The page's flow is every kind's (``aftersales.core.portal.intake.IntakePage``). Following the request
is the portal shell's ``/track/<token>/`` (aftersales/portal/views.py), which shows the ticket through
``tickets.trackable.TicketTrackable``.
"""

from __future__ import annotations

from django.conf import settings

from aftersales.core.portal.intake import IntakePage

from ..intake import request_submit
from ..models import Ticket
from .forms import ServiceRequestForm

REQUEST_RATE_SCOPE = "portal-request"
DEFAULT_REQUEST_RATE = "10/hour"


def request_rate() -> str:
    return getattr(settings, "PORTAL_REQUEST_RATE_LIMIT", DEFAULT_REQUEST_RATE)


def _submit(form: ServiceRequestForm):
    """A public service request → ``services.ticket_create`` (through ``intake.request_submit``)."""
    data = form.cleaned_data
    submitted = request_submit(
        ticket_type=data["ticket_type"],
        name=data["name"],
        phone=data["phone"],
        email=data["email"],
        description=data["description"],
        serial=data["serial"],
        priority=form.priority,
        attachments=data["photos"],
        intake_link=False,  # the thanks page mints the link it shows
    )
    unregistered = data["serial"].strip() if submitted.serial_registered is False else ""
    return submitted.created.ticket, {"unregistered_serial": unregistered, "safety_words": submitted.safety_words}


REQUEST_PAGE = IntakePage(
    model=Ticket,
    form_class=ServiceRequestForm,
    template="tickets/portal/request_form.html",
    thanks_template="tickets/portal/request_thanks.html",
    form_url="tickets_portal:request",
    thanks_url="tickets_portal:request-thanks",
    session_key="tickets_portal_created",
    rate_scope=REQUEST_RATE_SCOPE,
    rate=request_rate,
    submit=_submit,
    initial_keys=("serial", "ticket_type"),
)
request_create, request_thanks = REQUEST_PAGE.views()
