"""The one-time acknowledge link of a page, without a login: GET shows what is acknowledged, POST does it.

A GET never acknowledges (mail scanners and link previews open links); only the confirm button's POST
does. The token is looked up by its hash and must belong to the incident in the path.
"""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from aftersales.core import clock
from aftersales.core.cases import ActionNotAllowed
from aftersales.core.portal.views import private
from aftersales.core.throttling import rate_limited_page

from .. import services

_REFUSED_STATUS = {"unknown": 404, "used": 410, "expired": 410}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@rate_limited_page(scope="track-page", rate_setting="TRACK_PAGE_RATE_LIMIT")
def acknowledge(request, number: str, token: str):
    now = clock.now()
    try:
        link = services.ack_link_check(number=number, token=token, now=now)
    except services.AckLinkRefused as refused:
        context = {"reason": refused.reason, "number": number}
        return private(render(request, "emergency/acknowledge.html", context, status=_REFUSED_STATUS[refused.reason]))
    page = link.page
    context = {"incident": page.incident, "recipient": page.recipient, "run": page.run, "done": False}
    if request.method == "POST":
        try:
            context["run"] = services.incident_acknowledge_by_link(number=number, token=token, now=now)
        except services.AckLinkRefused as refused:
            return private(render(request, "emergency/acknowledge.html", {"reason": refused.reason}, status=410))
        except ActionNotAllowed:
            return private(render(request, "emergency/acknowledge.html", {"reason": "ended"}, status=409))
        context["done"] = True
    return private(render(request, "emergency/acknowledge.html", context))
