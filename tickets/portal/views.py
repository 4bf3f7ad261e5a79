"""The customer's pages: ``/request/`` to ask for service, ``/track/<token>/`` to follow it.

The tracking page is the HTML face of the same trackable the public JSON API serves
(aftersales/core/trackables.py): it shows what ``represent`` returns and performs the customer's
actions through ``perform``, so the page and the API never disagree about what a customer may see
or do. A complaint's link will open here too once complaints register their trackable; only the
progress steps are specific to tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from aftersales.core import clock
from aftersales.core.attachments import attachment_response
from aftersales.core.throttling import rate_limited_page
from aftersales.core.trackables import Tracked, TrackingActionUnsupported, TrackingConflict, trackable_find
from complaints.portal.forms import ObjectForm
from complaints.portal.progress import complaint_progress

from ..choices import Status, TicketType
from ..intake import request_submit
from .forms import AttachForm, ConfirmForm, MessageForm, QuoteAnswerForm, RateForm, ReopenForm, ServiceRequestForm
from .ratelimit import client_ident, rate_limit_hit

REQUEST_RATE_SCOPE = "portal-request"
DEFAULT_REQUEST_RATE = "10/hour"
_CREATED_SESSION_KEY = "tickets_portal_created"


def request_rate() -> str:
    return getattr(settings, "PORTAL_REQUEST_RATE_LIMIT", DEFAULT_REQUEST_RATE)


def _private(response):
    """Pages behind a secret link: not indexed, and the link never leaves the site as a referrer.

    Not ``no-referrer``: with it, browsers send ``Origin: null`` on the page's own forms and
    Django's CSRF check refuses them. ``same-origin`` sends the URL to this site only.
    """
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response


# --- /request/ ----------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def request_create(request):
    """A public service request → ``services.ticket_create`` (through ``intake.request_submit``)."""
    if request.method != "POST":
        initial = {key: request.GET[key] for key in ("serial", "ticket_type") if key in request.GET}
        return render(request, "tickets/portal/request_form.html", {"form": ServiceRequestForm(initial=initial)})
    form = ServiceRequestForm(request.POST, request.FILES)
    if not rate_limit_hit(scope=REQUEST_RATE_SCOPE, ident=client_ident(request), rate=request_rate()):
        # Counted before validation: a script trying variations is limited like one sending spam.
        return render(request, "tickets/portal/request_form.html", {"form": form, "rate_limited": True}, status=429)
    if not form.is_valid():
        return render(request, "tickets/portal/request_form.html", {"form": form}, status=400)
    data = form.cleaned_data
    try:
        submitted = request_submit(
            ticket_type=data["ticket_type"],
            name=data["name"],
            phone=data["phone"],
            email=data["email"],
            description=data["description"],
            serial=data["serial"],
            priority=form.priority,
            attachments=data["photos"],
        )
    except ValidationError as error:
        _add_errors(form, error)
        return render(request, "tickets/portal/request_form.html", {"form": form}, status=400)
    ticket = submitted.created.ticket
    # The token is shown once, on the next page (redirect-after-post); only its hash is stored.
    request.session[_CREATED_SESSION_KEY] = {
        "number": ticket.number,
        "token": submitted.created.tracking_token,
        "serial": data["serial"].strip() if submitted.serial_registered is False else "",
    }
    return HttpResponseRedirect(reverse("tickets_portal:request-thanks"))


@never_cache
@require_http_methods(["GET", "HEAD"])
def request_thanks(request):
    created = request.session.pop(_CREATED_SESSION_KEY, None)
    if not created:
        # Reloaded or opened directly: the link is not shown a second time.
        return HttpResponseRedirect(reverse("tickets_portal:request"))
    tracking_path = reverse("tickets_portal:track", args=[created["token"]])
    context = {
        "number": created["number"],
        "tracking_path": tracking_path,
        "tracking_url": request.build_absolute_uri(tracking_path),
        "unregistered_serial": created.get("serial", ""),
    }
    return _private(render(request, "tickets/portal/request_thanks.html", context))


# --- /track/<token>/ ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Form:
    form_class: type[forms.Form]
    action: str  # the trackable's action name; "" = chosen by the form (quote: accept or decline)
    success: object  # lazy text

    def action_for(self, form: forms.Form) -> str:
        if self.action:
            return self.action
        return form.data.get(f"{form.prefix}-answer", "") if form.prefix else form.data.get("answer", "")

    def payload(self, form: forms.Form) -> dict:
        data = dict(form.cleaned_data)
        data.pop("answer", None)
        return data


TRACK_FORMS = {
    "message": _Form(MessageForm, "message", gettext_lazy("Thank you — your message was sent.")),
    "confirm": _Form(ConfirmForm, "confirm", gettext_lazy("Thank you for confirming that the problem is solved.")),
    "rate": _Form(RateForm, "rate", gettext_lazy("Thank you for rating our service.")),
    "reopen": _Form(ReopenForm, "reopen", gettext_lazy("Your request is open again; we will contact you soon.")),
    "quote": _Form(QuoteAnswerForm, "", gettext_lazy("Thank you — we have your answer to the quote.")),
    "attach": _Form(AttachForm, "attach", gettext_lazy("Thank you — your file was added.")),
    # A complaint's proposed resolution the customer does not accept (004 §2.4).
    "object": _Form(ObjectForm, "object", gettext_lazy("We have your objection; we will look into it again.")),
}
# Which form offers which of the trackable's actions.
_FORM_ACTIONS = {
    "message": {"message"},
    "confirm": {"confirm"},
    "rate": {"rate"},
    "reopen": {"reopen"},
    "quote": {"approve_quote", "decline_quote"},
    "attach": {"attach"},
    "object": {"object"},
}


def tracked_by_token(token: str) -> Tracked | None:
    """The one lookup behind a tracking link: whatever kind registered the token (ticket, complaint)."""
    return trackable_find(token)


# Guessing tokens through the page must be slow, as through the JSON API (one scope for page and files).
TRACK_RATE_SCOPE = "track-page"


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limited_page(scope=TRACK_RATE_SCOPE, rate_setting="TRACK_PAGE_RATE_LIMIT")
def track(request, token: str):
    tracked = tracked_by_token(token)
    if tracked is None:
        return _private(render(request, "tickets/portal/track_not_found.html", status=404))
    now = clock.now()
    bound: dict[str, forms.Form] = {}
    status = 200
    if request.method == "POST":
        name = request.POST.get("form", "")
        spec = TRACK_FORMS.get(name)
        if spec is None:
            messages.error(request, _("Something went wrong with that form. Please try again."))
            return HttpResponseRedirect(request.path)
        form = spec.form_class(request.POST, request.FILES, prefix=name)
        available = tracked.trackable.represent(tracked.subject, now=now)["actions"]
        action = spec.action_for(form)
        if action not in available or action not in _FORM_ACTIONS[name]:
            form.is_valid()  # keep what was typed on the page
            form.add_error(None, _("This is not possible any more: the status of your request has changed."))
            status = 409
        elif form.is_valid():
            try:
                tracked.trackable.perform(tracked.subject, action, spec.payload(form), now=now)
            except (TrackingConflict, TrackingActionUnsupported):
                form.add_error(None, _("This is not possible any more: the status of your request has changed."))
                status = 409
            except ValidationError as error:
                _add_errors(form, error)
                status = 400
            else:
                messages.success(request, spec.success)
                return HttpResponseRedirect(request.path)
        else:
            status = 400
        bound[name] = form
        tracked = tracked_by_token(token)  # read again for the page
    context = _track_context(tracked, now=now, bound=bound)
    for attachment in context["item"].get("attachments", []):
        attachment["url"] = reverse("tickets_portal:attachment", args=[token, attachment["id"]])
    return _private(render(request, "tickets/portal/track.html", context, status=status))


@never_cache
@require_http_methods(["GET", "HEAD"])
@rate_limited_page(scope=TRACK_RATE_SCOPE, rate_setting="TRACK_PAGE_RATE_LIMIT")
def track_attachment(request, token: str, attachment_id: int):
    """One file of the request, for whoever holds its link: the customer's own and those staff shared."""
    tracked = tracked_by_token(token)
    find = getattr(tracked.trackable, "attachment", None) if tracked is not None else None
    attachment = find(tracked.subject, attachment_id) if find is not None else None
    if attachment is None:
        raise Http404
    return _private(attachment_response(attachment))


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# --- what the page shows ----------------------------------------------------------------------------

_TIME_KEYS = ("created_at", "appointment_at", "reopen_until", "at", "due_at", "met_at", "promised_by")


def _with_times(value):
    """The trackable's JSON-ready times (ISO strings) back as datetimes, for local formatting."""
    if isinstance(value, dict):
        return {
            key: (parse_datetime(item) if key in _TIME_KEYS and isinstance(item, str) else _with_times(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_with_times(item) for item in value]
    return value


# The lifecycle as the customer sees it (REQUIREMENTS §3); a consultation skips the field work.
_FULL_STEPS = [
    (Status.NEW, gettext_lazy("Received")),
    (Status.ACKNOWLEDGED, gettext_lazy("Acknowledged")),
    (Status.DIAGNOSING, gettext_lazy("Diagnosis")),
    (Status.DISPATCHED, gettext_lazy("Technician assigned")),
    (Status.IN_PROGRESS, gettext_lazy("Repair")),
    (Status.RESOLVED, gettext_lazy("Resolved")),
    (Status.CONFIRMED, gettext_lazy("Confirmed")),
    (Status.CLOSED, gettext_lazy("Closed")),
]
_SHORT_STEPS = [
    (Status.NEW, gettext_lazy("Received")),
    (Status.ACKNOWLEDGED, gettext_lazy("Acknowledged")),
    (Status.RESOLVED, gettext_lazy("Answered")),
    (Status.CONFIRMED, gettext_lazy("Confirmed")),
    (Status.CLOSED, gettext_lazy("Closed")),
]
_RANK = {status: index for index, (status, _label) in enumerate(_FULL_STEPS)}
# Where a paused request stands: at the step it waits in.
_WAITING_AT = {Status.AWAITING_QUOTE: Status.DIAGNOSING}
_PAUSE_TEXT = {
    Status.AWAITING_CUSTOMER: gettext_lazy("Paused while we wait for you — please see our last message and reply."),
    Status.AWAITING_QUOTE: gettext_lazy("Paused while we wait for your answer to the quote."),
    Status.AWAITING_PARTS: gettext_lazy("Paused while we wait for spare parts."),
}


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # "done" | "current" | "todo"


def ticket_steps(status: str, ticket_type: str, resume_status: str = "") -> list[Step]:
    if status == Status.CANCELLED:
        return []
    steps = _SHORT_STEPS if ticket_type == TicketType.CONSULTATION else _FULL_STEPS
    where = _WAITING_AT.get(status) or (resume_status if status in _PAUSE_TEXT else status) or Status.ACKNOWLEDGED
    rank = _RANK.get(where, 0)
    current = max(index for index, (step, _label) in enumerate(steps) if _RANK[step] <= rank)
    return [
        Step(str(label), "done" if index < current else "current" if index == current else "todo")
        for index, (_step, label) in enumerate(steps)
    ]


@dataclass(frozen=True)
class Expected:
    label: str
    text: str
    state: str  # the clock's state, for styling
    at: datetime | None = None


def expected_times(item: dict) -> list[Expected]:
    """The open promises: a due time, or why it is paused; kept ones say when."""
    rows = []
    pause_text = _PAUSE_TEXT.get(item.get("status"), gettext_lazy("Paused for now."))
    if item.get("kind") == "complaint" and item.get("status") == "proposed":
        pause_text = gettext_lazy("Paused while we wait for your answer to our proposal.")
    for row in item.get("sla", []):
        state = row.get("state")
        if state == "paused":
            rows.append(Expected(row["label"], str(pause_text), state))
        elif state == "breached":
            rows.append(
                Expected(row["label"], _("Later than promised — sorry. It has been escalated."), state, row["due_at"])
            )
        elif state == "running":
            rows.append(Expected(row["label"], _("Expected by"), state, row["due_at"]))
        elif state == "met":
            rows.append(Expected(row["label"], _("Done"), state, row["met_at"]))
    return rows


def _track_context(tracked: Tracked, *, now: datetime, bound: dict[str, forms.Form]) -> dict:
    item = _with_times(tracked.trackable.represent(tracked.subject, now=now))
    actions = set(item.get("actions", []))
    offered = {}
    for name, spec in TRACK_FORMS.items():
        if _FORM_ACTIONS[name] & actions or name in bound:
            offered[name] = bound.get(name) or spec.form_class(prefix=name)
    steps = []
    if tracked.kind == "ticket":
        subject = tracked.subject
        steps = ticket_steps(subject.status, subject.ticket_type, subject.resume_status)
    elif tracked.kind == "complaint":
        steps = [Step(label, state) for label, state in complaint_progress(tracked.subject.status)]
    return {
        "item": item,
        "kind": tracked.kind,
        "steps": steps,
        "expected": expected_times(item),
        "forms": offered,
        "cancelled": item.get("status") == Status.CANCELLED,
    }
