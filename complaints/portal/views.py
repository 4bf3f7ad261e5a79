"""The customer's complaint page: ``/complaint/`` → ``intake.complaint_submit``, then the link once.

Following the complaint is the portal shell's ``/track/<token>/`` (aftersales/portal/views.py),
which shows it through ``complaints.trackable.ComplaintTrackable``.
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

from ..intake import complaint_submit
from .forms import ComplaintForm

COMPLAINT_RATE_SCOPE = "portal-complaint"
DEFAULT_COMPLAINT_RATE = "10/hour"
_CREATED_SESSION_KEY = "complaints_portal_created"
TEMPLATE = "complaints/portal/complaint_form.html"


def complaint_rate() -> str:
    return getattr(settings, "PORTAL_COMPLAINT_RATE_LIMIT", DEFAULT_COMPLAINT_RATE)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def complaint_create_view(request):
    if request.method != "POST":
        initial = {key: request.GET[key] for key in ("serial", "ticket_number") if key in request.GET}
        return render(request, TEMPLATE, {"form": ComplaintForm(initial=initial)})
    form = ComplaintForm(request.POST, request.FILES)
    if not rate_limit_hit(scope=COMPLAINT_RATE_SCOPE, ident=client_ident(request), rate=complaint_rate()):
        # Counted before validation, like /request/: variations of a script are limited too.
        return render(request, TEMPLATE, {"form": form, "rate_limited": True}, status=429)
    if not form.is_valid():
        return render(request, TEMPLATE, {"form": form}, status=400)
    data = form.cleaned_data
    try:
        submitted = complaint_submit(
            category=data["category"],
            name=data["name"],
            phone=data["phone"],
            email=data["email"],
            description=data["description"],
            serial=data["serial"],
            ticket_number=data["ticket_number"],
            attachments=data["photos"],
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return render(request, TEMPLATE, {"form": form}, status=400)
    created = submitted.created
    # The token is shown once, on the next page (redirect-after-post); only its hash is stored.
    request.session[_CREATED_SESSION_KEY] = {
        "number": created.complaint.number,
        "token": created.tracking_token,
        "linked_to": created.duplicate_of.number if created.duplicate_of else "",
    }
    return HttpResponseRedirect(reverse("complaints_portal:complaint-thanks"))


@never_cache
@require_http_methods(["GET", "HEAD"])
def complaint_thanks(request):
    created = request.session.pop(_CREATED_SESSION_KEY, None)
    if not created:
        # Reloaded or opened directly: the link is not shown a second time.
        return HttpResponseRedirect(reverse("complaints_portal:complaint"))
    tracking_path = reverse("portal-track", args=[created["token"]])
    context = {
        "number": created["number"],
        "linked_to": created.get("linked_to", ""),
        "tracking_path": tracking_path,
        "tracking_url": request.build_absolute_uri(tracking_path),
    }
    return private(render(request, "complaints/portal/complaint_thanks.html", context))
