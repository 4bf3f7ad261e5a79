"""Reads for the tickets staff admin beyond the case kit's (queues and SLA badges are
``aftersales.core.admin_cases``'): the technicians a bulk assignment may choose."""

from __future__ import annotations

from django.db.models import Count, Q

from .choices import OPEN_STATUSES
from .models import Technician

# --- dispatch -------------------------------------------------------------------------------


def certified_technicians():
    """Active technicians who passed all three training lines (001 三(二)1; pass lines 004 §5.3), least loaded first."""
    return (
        Technician.objects.filter(
            is_active=True,
            user__is_active=True,
            certified_on__isnull=False,
            knowledge_score__gte=Technician.PASS_KNOWLEDGE,
            skill_score__gte=Technician.PASS_SKILL,
            behaviour_score__gte=Technician.PASS_BEHAVIOUR,
        )
        .select_related("user", "region")
        .annotate(
            open_tickets=Count(
                "user__assigned_tickets", filter=Q(user__assigned_tickets__status__in=list(OPEN_STATUSES))
            )
        )
        .order_by("open_tickets", "user__username")
    )
