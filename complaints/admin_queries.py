"""Reads for the complaints staff admin beyond the case kit's (queues and SLA badges are
``aftersales.core.admin_cases``'): the corrective actions' list order."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, IntegerField, Value, When

from .choices import CorrectiveStatus
from .models import CorrectiveAction


def corrective_actions_overdue_first(queryset, now: datetime):
    """Open and past due first (longest overdue first), then open by due date, then the finished ones."""
    return queryset.annotate(
        urgency=Case(
            When(status=CorrectiveStatus.OPEN, due_at__lte=now, then=Value(0)),
            When(status=CorrectiveStatus.OPEN, then=Value(1)),
            When(status=CorrectiveStatus.DONE, then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )
    ).order_by("urgency", "due_at", "id")


def corrective_is_overdue(action: CorrectiveAction, now: datetime) -> bool:
    return action.status == CorrectiveStatus.OPEN and action.due_at <= now
