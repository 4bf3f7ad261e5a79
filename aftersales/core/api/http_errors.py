"""The failures Django answers itself — before DRF sees the request, or around it — in the API's shape.

A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, a ``Host`` not in ``ALLOWED_HOSTS``, a CSRF failure, a URL
that names no route, an uncaught exception: Django answers these with its own HTML pages through
``handler400/403/404/500`` and ``CSRF_FAILURE_VIEW``. Under ``/api/`` these views answer
``{"detail", "code"}`` JSON instead (CONTRACT.md §4); everywhere else (the portal, the admin) they
keep Django's pages. ``ApiErrorShapeMiddleware`` catches the rest: an error response that a plain
(non-DRF) view under ``/api/`` returned in HTML or plain text, such as the 405 of
``require_http_methods``.

A too-large body is refused while it is being read, before any view code runs, so nothing of it is
written anywhere.
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.core.exceptions import (
    DisallowedHost,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.csrf import csrf_failure as django_csrf_failure
from rest_framework import exceptions
from rest_framework.response import Response


def is_api(request) -> bool:
    return (getattr(request, "path", "") or "").startswith("/api/")


def api_error(detail, code: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": str(detail), "code": code}, status=status, json_dumps_params={"ensure_ascii": False})


def _bad_request_answer(exception) -> tuple[str, str, int]:
    if isinstance(exception, RequestDataTooBig):
        return _("The request body is too large."), "request_too_large", 413
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        return _("The request has too many fields or files."), "request_too_large", 413
    if isinstance(exception, DisallowedHost):
        return _("The Host header names a site this server does not serve."), "invalid_host", 400
    return str(exceptions.ParseError.default_detail), "bad_request", 400


def bad_request(request, exception, template_name="400.html"):
    if not is_api(request):
        return defaults.bad_request(request, exception, template_name)
    return api_error(*_bad_request_answer(exception))


def permission_denied(request, exception, template_name="403.html"):
    if not is_api(request):
        return defaults.permission_denied(request, exception, template_name)
    return api_error(str(exception) or exceptions.PermissionDenied.default_detail, "permission_denied", 403)


def not_found(request, exception=None, template_name="404.html"):
    if not is_api(request):
        return defaults.page_not_found(request, exception, template_name)
    return api_error(exceptions.NotFound.default_detail, "not_found", 404)


def server_error(request, template_name="500.html"):
    if not is_api(request):
        return defaults.server_error(request, template_name)
    return api_error(exceptions.APIException.default_detail, "server_error", 500)


def csrf_failure(request, reason="", template_name="403_csrf.html"):
    """``CSRF_FAILURE_VIEW``. DRF's own session check already answers JSON; this covers plain views."""
    if not is_api(request):
        return django_csrf_failure(request, reason, template_name)
    return api_error(_("CSRF check failed: %(reason)s") % {"reason": reason}, "csrf_failed", 403)


def _code(reason_phrase: str) -> str:
    """``Method Not Allowed`` → ``method_not_allowed``, as DRF names its error codes."""
    return re.sub(r"[^a-z0-9]+", "_", reason_phrase.lower()).strip("_") or "error"


class ApiErrorShapeMiddleware:
    """An error response under ``/api/`` that is not JSON becomes ``{"detail", "code"}`` (status and
    headers kept). Left alone: DRF's own responses (their shape is the exception handler's, and a
    browser asking for HTML gets DRF's browsable page by content negotiation) and everything under
    ``DEBUG``, where Django's technical pages are the point."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and is_api(request)
            and not settings.DEBUG
            and not getattr(response, "streaming", False)
            and not isinstance(response, Response)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            response.content = json.dumps(
                {"detail": response.reason_phrase, "code": _code(response.reason_phrase)}, ensure_ascii=False
            ).encode()
            response["Content-Type"] = "application/json"
        return response
