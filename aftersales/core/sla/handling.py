"""What a clock handler writes for one sweep batch, written at the end in a few statements.

A sweep batch hands a handler up to ``SLA_SWEEP_BATCH_SIZE`` clocks' warnings and breaches. Written
event by event, each breach cost about ten statements (role lookups, an escalation UPDATE, a
follow-up's SELECT + INSERT, the outbox INSERT), which made the sweep's time per due clock ~7.5 ms.
``HandlerBatch`` collects the same writes and makes them once per batch, still inside the sweep's
transaction, so exactly-once is unchanged: everything commits with the recorded events or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from ..notifications import staff_notifications, users_in_role
from ..outbox.services import Notification, outbox_enqueue


class HandlerBatch:
    """Role members looked up once, escalations, rows to create once (by unique key) and notifications."""

    def __init__(self) -> None:
        self._members: dict[str, list] = {}
        self._escalated: dict[tuple[type[models.Model], int], models.Model] = {}
        self._rows: list[models.Model] = []
        self._notifications: list[Notification] = []

    def members(self, role: str) -> list:
        """``users_in_role``, asked once per batch: a batch reaches the same rungs again and again."""
        if role not in self._members:
            self._members[role] = users_in_role(role)
        return self._members[role]

    def climb(self, subject: models.Model, ladder: list[str]) -> str:
        """One rung up: the subject's ``escalation_level`` (its row is locked by the handler) and
        the rung it reaches now, the last rung once the ladder is climbed."""
        subject.escalation_level += 1
        self._escalated[(type(subject), subject.pk)] = subject
        return ladder[min(subject.escalation_level, len(ladder) - 1)]

    def create_once(self, row: models.Model) -> None:
        """A row whose unique ``key`` makes it idempotent (a follow-up, a breach report)."""
        self._rows.append(row)

    def notify(self, *, users: Iterable, key: str, template: str, context: dict) -> None:
        self._notifications += staff_notifications(users=users, key=key, template=template, context=context)

    def write(self) -> None:
        for model, subjects in _by_model(self._escalated.values()).items():
            model.objects.bulk_update(subjects, ["escalation_level"])
        for model, rows in _by_model(self._rows).items():
            model.objects.bulk_create(rows, ignore_conflicts=True)
        outbox_enqueue(notifications=self._notifications)


def _by_model(instances: Iterable[models.Model]) -> dict[type[models.Model], list[models.Model]]:
    grouped: dict[type[models.Model], list[models.Model]] = {}
    for instance in instances:
        grouped.setdefault(type(instance), []).append(instance)
    return grouped
