"""One JSON error shape for the whole API (CONTRACT.md §4): ``{"detail": ..., "code": ...}``.

Validation errors keep their per-field messages next to ``detail``/``code`` so forms can show
them. Anything DRF does not handle itself (a database constraint hit by odd input, say) becomes a
4xx here rather than a 5xx only where the cause is the request; real faults still surface as 500.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler


def _first_code(codes) -> str:
    if isinstance(codes, str):
        return codes
    if isinstance(codes, list) and codes:
        return _first_code(codes[0])
    if isinstance(codes, dict) and codes:
        return _first_code(next(iter(codes.values())))
    return "invalid"


def exception_handler(  # noqa: C901 - one mapping of every error shape, read top to bottom
    exc, context
):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(detail=str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        body = {"detail": "Invalid input.", "code": _first_code(exc.get_codes())}
        if isinstance(detail, dict):
            body.update({key: value for key, value in detail.items() if key not in ("detail", "code")})
            for general in ("detail", "non_field_errors", "__all__"):
                if detail.get(general):  # a message about the whole request, not one field
                    messages = detail[general]
                    body["detail"] = messages[0] if isinstance(messages, list) else messages
                    break
        elif isinstance(detail, list) and detail:
            body["detail"] = detail[0] if len(detail) == 1 else detail
        response.data = body
    elif isinstance(exc, exceptions.APIException):
        response.data = {"detail": exc.detail, "code": _first_code(exc.get_codes())}
    if response.status_code == status.HTTP_403_FORBIDDEN:
        _audit_denial(context, response)
    return response


def _audit_denial(context, response) -> None:
    from aftersales.core.audit import Action, audit_record

    request, view = context.get("request"), context.get("view")
    queryset = getattr(view, "queryset", None)
    kwargs = {key: str(value) for key, value in (context.get("kwargs") or {}).items()}
    audit_record(
        action=Action.PERMISSION_DENIED,
        request=request,
        user=getattr(request, "user", None),
        object_type=queryset.model._meta.label if queryset is not None else type(view).__name__,
        object_id=next(iter(kwargs.values()), ""),
        details={
            "method": getattr(request, "method", ""),
            "view": type(view).__name__,
            "action": getattr(view, "action", None) or "",
            "kwargs": kwargs,
            "code": response.data.get("code", "") if isinstance(response.data, dict) else "",
        },
    )


class LockedOut(exceptions.APIException):
    """429: too many failed logins for this username or address (aftersales/core/lockout.py)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self, *, wait: int, detail: str):
        super().__init__(detail)
        self.wait = wait  # DRF turns it into the Retry-After header


class Conflict(exceptions.APIException):
    """409: the action is not allowed in the current state, or the object changed meanwhile."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object is not in a state that allows this action."
    default_code = "conflict"
