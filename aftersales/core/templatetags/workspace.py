"""The admin's start page panels and the inbox badge in its header (``aftersales.core.workspace``)."""

from django import template

from ..inbox import inbox_unread_count
from ..workspace import workspace_for

register = template.Library()


@register.inclusion_tag("admin/core/_workspace.html", takes_context=True)
def workspace_panels(context):
    request = context["request"]
    return {"panels": workspace_for(request.user), "request": request}


@register.simple_tag(takes_context=True)
def inbox_unread(context) -> int:
    """One count per admin page, cached on the request (the header and the page may both ask)."""
    request = context["request"]
    if not hasattr(request, "_aftersales_inbox_unread"):
        request._aftersales_inbox_unread = inbox_unread_count(request.user)
    return request._aftersales_inbox_unread
