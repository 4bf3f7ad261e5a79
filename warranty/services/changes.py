"""The change log of the warranty app (``WarrantyChange``): who changed what, from what, to what.

Every service that changes the catalogue, a policy, a unit or an extended contract records it here in
its own transaction (REQUIREMENTS §9). Values are stored as the database holds them: a foreign key
by its id, a file by its stored name, dates and amounts as JSON text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db import models

from aftersales.core import clock

from ..models import WarrantyChange

Subject = WarrantyChange.Subject
Action = WarrantyChange.Action


def field_values(instance: models.Model, names: Iterable[str]) -> dict:
    """The stored values of ``names`` on ``instance``: foreign keys as ids, files as their names."""
    values = {}
    for name in names:
        field = instance._meta.get_field(name)
        assert isinstance(field, models.Field), f"{name} is a relation's other side, not a stored field"
        value = getattr(instance, field.attname)
        if isinstance(field, models.FileField):
            value = value.name or ""
        values[name] = value
    return values


def changed(before: Mapping, after: Mapping) -> dict:
    """``{field: {"from", "to"}}`` for every field whose value differs."""
    return {name: {"from": before.get(name), "to": value} for name, value in after.items() if before.get(name) != value}


def created(values: Mapping) -> dict:
    return {name: {"to": value} for name, value in values.items()}


def change_record(
    *,
    subject: str,
    instance: models.Model,
    action: str,
    changes: Mapping,
    actor=None,
    unit_id: int | None = None,
    now: datetime | None = None,
) -> WarrantyChange | None:
    """Append one change of ``instance``; a "change" that changes nothing is not recorded."""
    if action == Action.CHANGED and not changes:
        return None
    return WarrantyChange.objects.create(
        subject=subject,
        object_id=instance.pk,
        label=str(instance)[:200],
        unit_id=unit_id,
        action=action,
        changes=dict(changes),
        actor=actor if actor is not None and actor.is_authenticated else None,
        changed_at=now or clock.now(),
    )
