"""Pieces every tickets endpoint shares: one mapping of the services' refusals onto HTTP statuses
(CONTRACT.md §4).
"""

from __future__ import annotations

from django_fsm import ConcurrentTransition, TransitionNotAllowed

from aftersales.core.api.services import service_errors as core_service_errors
from aftersales.core.cases import ActionNotAllowed

from ..cases import TICKETS

# Refusals that mean "not now, not in this state" — the client may reload and decide again.
CONFLICTS = (ActionNotAllowed, *TICKETS.conflicts, TransitionNotAllowed, ConcurrentTransition)


def service_errors():
    """The services' refusals as the API promises (``aftersales.core.api.services``), with the
    tickets app's own "not now" exceptions answered 409."""
    return core_service_errors(CONFLICTS)
