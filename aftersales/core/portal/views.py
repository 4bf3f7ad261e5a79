"""Bases of the customer's pages and public endpoints (no login, behind a secret link or rate-limited)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.cache import add_never_cache_headers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from ..api.parsers import SafeJSONParser
from ..api.throttling import PublicRateThrottle


# A public JSON endpoint: no authentication, rate-limited, never cached. (A comment: drf-spectacular
# prints a view class's docstring as the description of its operations.)
class PublicView(APIView):
    parser_classes = [SafeJSONParser]  # JSON only: form bodies are not part of this API
    authentication_classes: list = []  # public: a stale session or token must not turn it into a 401/403
    permission_classes = [AllowAny]
    throttle_classes = [PublicRateThrottle]
    throttle_scope = "public"

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Answers carry a secret link or what it opens: never kept by a shared cache or proxy.
        add_never_cache_headers(response)
        return response


def private(response):
    """Pages behind a secret link: not indexed, and the link never leaves the site as a referrer.

    Not ``no-referrer``: with it, browsers send ``Origin: null`` on the page's own forms and
    Django's CSRF check refuses them. ``same-origin`` sends the URL to this site only.
    """
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError on a customer's form: on its field when the form has one."""
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
