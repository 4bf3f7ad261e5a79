"""A stock service called from a view: its refusals answered as the API promises (CONTRACT.md §4)."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError

from aftersales.core.api.errors import Conflict
from aftersales.core.api.services import service_errors, validation_codes_kept

# A service's refusal that is about the state of stock, not about the request: 409.
CONFLICT_CODES = {"out_of_stock", "already_received", "reservation_closed"}


@contextmanager
def stock_service_errors():
    """A stock service called from a view: 403, 409 for the state of stock, else 400 with its code."""
    try:
        with service_errors():
            yield
    except DjangoValidationError as error:
        codes = set() if hasattr(error, "error_dict") else {item.code for item in error.error_list}
        if conflicts := codes & CONFLICT_CODES:
            raise Conflict(error.messages[0], code=conflicts.pop()) from error
        with validation_codes_kept():
            raise
