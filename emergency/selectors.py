"""Reads of incidents: who sees which."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Incident


def incidents_visible_to(user) -> QuerySet[Incident]:
    """Coordinators, supervisors and managers (view permission) see every incident; others none."""
    if user is None or not user.is_active or not user.has_perm("emergency.view_incident"):
        return Incident.objects.none()
    return Incident.objects.all()
