"""Pieces every tickets endpoint shares: the public rate limit, and one mapping of the services'
refusals onto HTTP statuses (CONTRACT.md §4).
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

from aftersales.core.api.errors import Conflict
from warranty.services import AlreadyAnswered

from ..actions import ActionNotAllowed
from ..services import AlreadyRated

logger = logging.getLogger(__name__)

# Refusals that mean "not now, not in this state" — the client may reload and decide again.
CONFLICTS = (ActionNotAllowed, AlreadyRated, AlreadyAnswered, TransitionNotAllowed, ConcurrentTransition)


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
def service_errors():
    """Run a service call and answer its refusals as the API promises.

    409 for state conflicts, 403 with the service's reason for permission refusals. Django's
    ValidationError passes through to the project's exception handler (400 with field keys).
    ``InvalidOperation`` and ``ValueError`` come from odd numbers and dates that a service's own
    checks let through (NaN compared with 0, 2026-13-45): the request is at fault, so 400, logged
    with its traceback so the gap in the check gets fixed.
    """
    try:
        yield
    except CONFLICTS as error:
        raise Conflict(str(error) or None) from error
    except DjangoPermissionDenied as error:
        raise exceptions.PermissionDenied(str(error) or None) from error
    except (InvalidOperation, ValueError) as error:
        logger.warning("A service rejected malformed input with %r", error, exc_info=True)
        raise exceptions.ValidationError({"detail": [_("Invalid input.")]}, code="invalid") from error


@contextmanager
def validation_codes_kept():
    """Django ValidationErrors from a service as DRF's, keeping each message's code (``file_type``,
    ``too_many_files``…) rather than the project handler's generic ``invalid``."""
    try:
        yield
    except DjangoValidationError as error:
        raise exceptions.ValidationError(get_error_detail(error)) from error
