"""Calling a service from a view: its refusals answered as the API promises (CONTRACT.md §4).

Every app's services refuse the same three ways: Django's ValidationError (400, through the
project's exception handler), PermissionDenied (403 with the service's reason), and the app's own
"not now, not in this state" exceptions (409). ``service_errors(conflicts)`` maps them.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from decimal import InvalidOperation

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions
from rest_framework.fields import get_error_detail

from .errors import Conflict

logger = logging.getLogger(__name__)

# django-fsm's own refusals are conflicts for every app: the state moved under the request.
FSM_CONFLICTS = (TransitionNotAllowed, ConcurrentTransition)


@contextmanager
def service_errors(conflicts: tuple[type[Exception], ...] = ()):
    """409 for state conflicts, 403 for permission refusals; odd numbers and dates a service's own
    checks let through (``InvalidOperation``, ``ValueError``) are the request's fault: 400, logged
    with the traceback so the gap in the check gets fixed."""
    try:
        yield
    except (*conflicts, *FSM_CONFLICTS) as error:
        raise Conflict(str(error) or None) from error
    except DjangoPermissionDenied as error:
        raise exceptions.PermissionDenied(str(error) or None) from error
    except (InvalidOperation, ValueError) as error:
        logger.warning("A service rejected malformed input with %r", error, exc_info=True)
        raise exceptions.ValidationError({"detail": [_("Invalid input.")]}, code="invalid") from error


def reject_nul(value, field: str = "detail"):
    """Refuse NUL anywhere in a (nested) JSON value: PostgreSQL text cannot hold it (a 500 otherwise)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise exceptions.ValidationError(
                {field: [_("Null characters are not allowed.")]}, code="null_characters_not_allowed"
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            reject_nul(key, field)
            reject_nul(item, key if isinstance(key, str) and "\x00" not in key else field)
    elif isinstance(value, list):
        for item in value:
            reject_nul(item, field)
    return value


@contextmanager
def validation_codes_kept():
    """Django ValidationErrors from a service as DRF's, keeping each message's code (``file_type``,
    ``too_many_files``…) rather than the project handler's generic ``invalid``."""
    try:
        yield
    except DjangoValidationError as error:
        raise exceptions.ValidationError(get_error_detail(error)) from error
