"""The staff inbox page in the admin (``/admin/inbox/``): read, open and mark read one's own notifications."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import admin
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from .inbox import inbox_entries, inbox_mark_read, inbox_messages, inbox_unread_count
from .outbox.rendering import render_message

PER_PAGE = 25


@require_http_methods(["GET", "POST"])
def inbox(request):
    if request.method == "POST":  # "mark all as read"
        inbox_mark_read(user=request.user)
        return HttpResponseRedirect(reverse("admin-inbox"))
    page = Paginator(inbox_messages(request.user), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        **admin.site.each_context(request),
        "title": _("Inbox"),
        "entries": inbox_entries(page.object_list),
        "page": page,
        "unread": inbox_unread_count(request.user),
    }
    return TemplateResponse(request, "admin/core/inbox.html", context)


@require_POST
def inbox_open(request, pk: int):
    """Mark one notification read and go to the page it is about (the inbox when it names none)."""
    message = inbox_messages(request.user).filter(pk=pk).first()
    if message is None:
        raise Http404  # someone else's, or none: the same answer
    inbox_mark_read(user=request.user, ids=[pk])
    url = render_message(message).url
    # Only our own pages: the link comes from our templates, but a stored context is data.
    hosts = {request.get_host(), urlsplit(settings.SITE_URL).netloc}
    if not (url and url_has_allowed_host_and_scheme(url, allowed_hosts=hosts)):
        url = reverse("admin-inbox")
    return HttpResponseRedirect(url)


def inbox_urls():
    """Mounted before the admin's own URLs; ``admin_view`` asks for a staff login and guards CSRF."""
    return [
        path("admin/inbox/", admin.site.admin_view(inbox), name="admin-inbox"),
        path("admin/inbox/<int:pk>/open/", admin.site.admin_view(inbox_open), name="admin-inbox-open"),
    ]
