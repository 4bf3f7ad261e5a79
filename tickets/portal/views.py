"""The customer's page to ask for service: ``/request/`` → ``intake.request_submit``, then the link once.

Following the request is the portal shell's ``/track/<token>/`` (aftersales/portal/views.py), which
shows the ticket through ``tickets.trackable.TicketTrackable``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from aftersales.core.portal.ratelimit import client_ident, rate_limit_hit
from aftersales.core.portal.views import add_service_errors, private

from ..intake import request_submit
from .forms import ServiceRequestForm

REQUEST_RATE_SCOPE = "portal-request"
DEFAULT_REQUEST_RATE = "10/hour"
_CREATED_SESSION_KEY = "tickets_portal_created"


def request_rate() -> str:
    return getattr(settings, "PORTAL_REQUEST_RATE_LIMIT", DEFAULT_REQUEST_RATE)


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
        add_service_errors(form, error)
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
    tracking_path = reverse("portal-track", args=[created["token"]])
    context = {
        "number": created["number"],
        "tracking_path": tracking_path,
        "tracking_url": request.build_absolute_uri(tracking_path),
        "unregistered_serial": created.get("serial", ""),
    }
    return private(render(request, "tickets/portal/request_thanks.html", context))
