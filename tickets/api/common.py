"""Pieces every tickets endpoint shares: the public rate limit, and one mapping of the services'
refusals onto HTTP statuses (CONTRACT.md §4).
"""

from __future__ import annotations

import logging

from django_fsm import ConcurrentTransition, TransitionNotAllowed

from aftersales.core.api.services import service_errors as core_service_errors
from warranty.services import AlreadyAnswered

from ..actions import ActionNotAllowed
from ..services import AlreadyRated

logger = logging.getLogger(__name__)

# Refusals that mean "not now, not in this state" — the client may reload and decide again.
CONFLICTS = (ActionNotAllowed, AlreadyRated, AlreadyAnswered, TransitionNotAllowed, ConcurrentTransition)


def service_errors():
    """The services' refusals as the API promises (``aftersales.core.api.services``), with the
    tickets app's own "not now" exceptions answered 409."""
    return core_service_errors(CONFLICTS)
