"""The customer's pages of every kind: ``/`` and ``/track/<token>/`` (with its files).

The tracking page is the HTML face of the same trackable the public JSON API serves
(``aftersales.core.trackables``): it shows what ``represent`` returns and performs the customer's
actions through ``perform``, so the page and the API never disagree about what a customer may see
or do. What differs between kinds — the progress steps, the kind's own forms and page fragments —
comes from the trackable (aftersales/core/portal/tracking.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from aftersales.core import clock
from aftersales.core.attachments import attachment_response
from aftersales.core.cases import registered_cases
from aftersales.core.portal.tracking import TrackForm
from aftersales.core.portal.views import add_service_errors, private
from aftersales.core.throttling import rate_limited_page
from aftersales.core.trackables import Tracked, TrackingActionUnsupported, TrackingConflict, trackable_find

from .forms import AttachForm, ConfirmForm, MessageForm, ReopenForm

# Guessing tokens must be slow: the page and its files are limited per client address (the JSON
# tracking API is throttled like every public endpoint).
TRACK_RATE_SCOPE = "track-page"
_CHANGED = gettext_lazy("This is not possible any more: the status of your request has changed.")

# The forms of every tracking page; each kind's trackable adds its own (``portal_forms``).
SHARED_FORMS = {
    "message": TrackForm(MessageForm, "message", gettext_lazy("Thank you — your message was sent.")),
    "confirm": TrackForm(ConfirmForm, "confirm", gettext_lazy("Thank you for confirming that the problem is solved.")),
    "reopen": TrackForm(ReopenForm, "reopen", gettext_lazy("Your request is open again; we will contact you soon.")),
    "attach": TrackForm(AttachForm, "attach", gettext_lazy("Thank you — your file was added.")),
}
_TIME_KEYS = ("created_at", "reopen_until", "at", "due_at", "met_at")


# --- / ------------------------------------------------------------------------------------------


@require_GET
def home(request):
    """The portal's home: a card per kind that takes customers in, and how to follow one."""
    kinds = [spec for spec in registered_cases() if spec.portal_card]
    starts = [spec.portal_start for spec in kinds if spec.portal_start]
    context = {
        "cards": [spec.portal_card for spec in kinds],
        # What each kind promises, worded from its SLA policies (never hand-written on the page).
        "promises": [line for spec in kinds if spec.portal_promises for line in import_string(spec.portal_promises)()],
        # Where a customer without a link starts: the first kind's intake page.
        "start_url": reverse(starts[0]) if starts else "",
    }
    return render(request, "portal/home.html", context)


# --- /track/<token>/ ------------------------------------------------------------------------------


def track_forms(tracked: Tracked) -> dict[str, TrackForm]:
    return {**SHARED_FORMS, **getattr(tracked.trackable, "portal_forms", {})}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limited_page(scope=TRACK_RATE_SCOPE, rate_setting="TRACK_PAGE_RATE_LIMIT")
def track(request, token: str):
    tracked = trackable_find(token)
    if tracked is None:
        return private(render(request, "portal/track_not_found.html", status=404))
    now = clock.now()
    bound: dict[str, forms.Form] = {}
    status = 200
    if request.method == "POST":
        name = request.POST.get("form", "")
        spec = track_forms(tracked).get(name)
        if spec is None:
            messages.error(request, _("Something went wrong with that form. Please try again."))
            return HttpResponseRedirect(request.path)
        form = spec.form_class(request.POST, request.FILES, prefix=name)
        status = _perform(request, tracked, spec, form, now=now)
        if status is None:
            messages.success(request, spec.success)
            return HttpResponseRedirect(request.path)
        bound[name] = form
        tracked = trackable_find(token)  # read again for the page
    context = _track_context(tracked, now=now, bound=bound)
    for attachment in context["item"].get("attachments", []):
        attachment["url"] = reverse("portal-track-file", args=[token, attachment["id"]])
    return private(render(request, "portal/track.html", context, status=status))


def _perform(request, tracked: Tracked, spec: TrackForm, form: forms.Form, *, now: datetime) -> int | None:
    """Run the form's action; None when done, else the status of the page shown again."""
    available = tracked.trackable.represent(tracked.subject, now=now)["actions"]
    action = spec.action_for(form)
    if action not in available or action not in spec.offers:
        form.is_valid()  # keep what was typed on the page
        form.add_error(None, _CHANGED)
        return 409
    if not form.is_valid():
        return 400
    try:
        tracked.trackable.perform(tracked.subject, action, spec.payload(form), now=now)
    except (TrackingConflict, TrackingActionUnsupported):
        form.add_error(None, _CHANGED)
        return 409
    except ValidationError as error:
        add_service_errors(form, error)
        return 400
    return None


@never_cache
@require_http_methods(["GET", "HEAD"])
@rate_limited_page(scope=TRACK_RATE_SCOPE, rate_setting="TRACK_PAGE_RATE_LIMIT")
def track_attachment(request, token: str, attachment_id: int):
    """One file of the case, for whoever holds its link: the customer's own and those staff shared."""
    tracked = trackable_find(token)
    find = getattr(tracked.trackable, "attachment", None) if tracked is not None else None
    attachment = find(tracked.subject, attachment_id) if find is not None else None
    if attachment is None:
        raise Http404
    return private(attachment_response(attachment))


# --- what the page shows ----------------------------------------------------------------------------


def _with_times(value, keys: frozenset[str]):
    """The trackable's JSON-ready times (ISO strings) back as datetimes, for local formatting."""
    if isinstance(value, dict):
        return {
            key: (parse_datetime(item) if key in keys and isinstance(item, str) else _with_times(item, keys))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_with_times(item, keys) for item in value]
    return value


@dataclass(frozen=True)
class Expected:
    label: str
    text: str
    state: str  # the clock's state, for styling
    at: datetime | None = None


def expected_times(item: dict, paused_text: str) -> list[Expected]:
    """The open promises: a due time, or why it is paused; kept ones say when."""
    rows = []
    for row in item.get("sla", []):
        state = row.get("state")
        if state == "paused":
            rows.append(Expected(row["label"], paused_text, state))
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
    trackable = tracked.trackable
    keys = frozenset((*_TIME_KEYS, *getattr(trackable, "time_keys", ())))
    item = _with_times(trackable.represent(tracked.subject, now=now), keys)
    actions = set(item.get("actions", []))
    offered = {}
    for name, spec in track_forms(tracked).items():
        if spec.offers & actions or name in bound:
            offered[name] = bound.get(name) or spec.form_class(prefix=name)
    templates = getattr(trackable, "portal_templates", {})
    paused = trackable.paused_text(item) if hasattr(trackable, "paused_text") else _("Paused for now.")
    return {
        "item": item,
        "kind": tracked.kind,
        "kit": {
            "heading": templates.get("heading", "portal/_track_heading.html"),
            "status": templates.get("status", ""),
            "panels": templates.get("panels", ()),
            "reopen_label": getattr(trackable, "reopen_label", _("Reopen")),
        },
        "steps": trackable.progress(tracked.subject) if hasattr(trackable, "progress") else [],
        "expected": expected_times(item, str(paused)),
        "forms": offered,
    }
