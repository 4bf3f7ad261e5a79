"""What a clock handler writes for one sweep batch, written at the end in a few statements.

A sweep batch hands a handler up to ``SLA_SWEEP_BATCH_SIZE`` clocks' warnings and breaches. Written
event by event, each breach cost about ten statements (role lookups, an escalation UPDATE, a
follow-up's SELECT + INSERT, the outbox INSERT), which made the sweep's time per due clock ~7.5 ms.
``HandlerBatch`` collects the same writes and makes them once per batch, still inside the sweep's
transaction, so exactly-once is unchanged: everything commits with the recorded events or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import models
from django.db.models import QuerySet

from ..models import UnreachedBreach
from ..notifications import escalation_reach, staff_notifications, users_in_role
from ..outbox.services import Notification, outbox_enqueue_many
from .registry import RecordedClockEvent


class HandlerBatch:
    """Role members looked up once, escalation levels, rows to create once (by unique key) and
    notifications."""

    def __init__(self) -> None:
        self._members: dict[str, list] = {}
        self._levels: dict[tuple[type[models.Model], int], int] = {}
        self._rows: list[models.Model] = []
        self._notifications: list[Notification] = []

    def members(self, role: str) -> list:
        """``users_in_role``, asked once per batch: a batch reaches the same rungs again and again."""
        if role not in self._members:
            self._members[role] = users_in_role(role)
        return self._members[role]

    def escalate(
        self,
        subject: Any,
        ladder: Sequence[str],
        event: RecordedClockEvent,
        people: Callable[[str], list] | None = None,
    ) -> tuple[str, list]:
        """A breach: ``subject`` climbs one rung of ``ladder`` and the people who hear of it.

        The level stops at the top rung (a further breach tells the top again). Who hears is
        ``escalation_reach``: that rung, else the next one up with members, else the administrators;
        ``people(rung)`` finds a rung's members (default: the role group). A breach that reaches
        nobody leaves an ``UnreachedBreach``. The subject's row is locked by the handler.
        """
        level = min(subject.escalation_level + 1, len(ladder) - 1)
        if level != subject.escalation_level:
            subject.escalation_level = level
            self._levels[(type(subject), subject.pk)] = level
        rung, users = escalation_reach(ladder, level, people or self.members)
        if not users:
            self._rows.append(
                UnreachedBreach(
                    event_id=event.event_id,
                    clock=event.clock,
                    rung=ladder[level],
                    escalation_level=level,
                    occurred_at=event.occurred_at,
                )
            )
        return rung, users

    def create_once(self, row: models.Model) -> None:
        """A row whose unique ``key`` makes it idempotent (a follow-up, a breach report)."""
        self._rows.append(row)

    def notify(self, *, users: Iterable, key: str, template: str, context: dict) -> None:
        self._notifications += staff_notifications(users=users, key=key, template=template, context=context)

    def write(self) -> None:
        # One UPDATE per model and level reached (a handful), not one per subject: Django's
        # bulk_update builds a CASE per row, which cost more than the rest.
        by_level: dict[tuple[type[models.Model], int], list[int]] = {}
        for (model, pk), level in self._levels.items():
            by_level.setdefault((model, level), []).append(pk)
        for (model, level), pks in by_level.items():
            model._default_manager.filter(pk__in=pks).update(escalation_level=level)
        for model, rows in _by_model(self._rows).items():
            model._default_manager.bulk_create(rows, ignore_conflicts=True)
        outbox_enqueue_many(self._notifications)


def _by_model(instances: Iterable[models.Model]) -> dict[type[models.Model], list[models.Model]]:
    grouped: dict[type[models.Model], list[models.Model]] = {}
    for instance in instances:
        grouped.setdefault(type(instance), []).append(instance)
    return grouped


def handle_in_batch(
    events: Sequence[RecordedClockEvent],
    subjects: QuerySet,
    handle: Callable[[models.Model, RecordedClockEvent, HandlerBatch], None],
) -> None:
    """Lock the events' subjects, hand each event with its subject to ``handle``, write once.

    The subjects are locked in pk order before anything else: two overlapping sweeps then wait for
    each other instead of deadlocking, and a transition (clocks, then its subject) never closes a
    cycle either. Events reach ``handle`` per subject in the order they were recorded.
    """
    ids = sorted({event.clock.object_id for event in events})
    locked = {
        subject.pk: subject for subject in subjects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
    }
    batch = HandlerBatch()
    for event in sorted(events, key=lambda item: (item.clock.object_id, item.event_id)):
        subject = locked.get(event.clock.object_id)
        if subject is not None:  # deleted meanwhile: its events stay recorded, nobody is told
            handle(subject, event, batch)
    batch.write()
