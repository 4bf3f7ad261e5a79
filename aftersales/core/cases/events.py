"""Appending to a case's history: the one way a ``CaseEvent`` row is written."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .spec import CaseSpec

MAX_NOTE = 5000


def event_append(
    spec: CaseSpec | type,
    case,
    action: str,
    *,
    now: datetime,
    from_status: str = "",
    to_status: str = "",
    actor=None,
    by_customer: bool = False,
    note: str = "",
    data: dict | None = None,
    public: bool = True,
):
    """One new event of ``case``; the table refuses UPDATE and DELETE (``core.appendonly``).

    ``spec``: the kind's ``CaseSpec``, or its ``CaseEvent`` model (for code the spec is built from).
    """
    model: Any = getattr(spec, "event_model", spec)
    return model._default_manager.create(
        **{model.case_field: case},
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        by_customer=by_customer,
        note=note[:MAX_NOTE],
        data=data or {},
        public=public,
        created_at=now,
    )
