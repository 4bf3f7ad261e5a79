"""Apps tell the sweep what a warning or breach of their clocks means.

Tickets, complaints and incidents each register one handler for their model in
``AppConfig.ready``. The sweep calls it inside the transaction that recorded the events, with only
the events recorded just now, so what the handler writes (escalation level, outbox messages)
commits together with the events or not at all: exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import models

from ..models import SlaClock

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordedClockEvent:
    """A warning or breach that was recorded for the first time."""

    event_id: int
    clock: SlaClock
    kind: str  # ClockEvent.Kind.WARNING or BREACHED
    threshold: int
    occurred_at: datetime

    @property
    def is_breach(self) -> bool:
        return self.kind == "breached"


ClockHandler = Callable[[Sequence[RecordedClockEvent]], None]
_handlers: dict[str, ClockHandler] = {}
# Kinds whose subjects are a case's dependent rows (a corrective action of a complaint): their
# handlers run after every case kind's, keeping the lock order clocks → case → dependent rows
# (aftersales/core/cases/locking.py) within one sweep batch.
_dependent: set[str] = set()


def _key(model: type[models.Model]) -> str:
    return model._meta.label_lower


def register_clock_handler(model: type[models.Model], handler: ClockHandler, *, dependent: bool = False) -> None:
    """``dependent``: ``model`` is a dependent row of a case (see ``_dependent``)."""
    _handlers[_key(model)] = handler
    if dependent:
        _dependent.add(_key(model))
    else:
        _dependent.discard(_key(model))


def unregister_clock_handler(model: type[models.Model]) -> None:
    _handlers.pop(_key(model), None)
    _dependent.discard(_key(model))


# What a warning or breach message says about its subject and clock, asked when it is delivered.
ClockSubjectDescriber = Callable[[models.Model, SlaClock], dict]
_describers: dict[str, ClockSubjectDescriber] = {}


def register_clock_subject(model: type[models.Model], describe: ClockSubjectDescriber) -> None:
    """``describe(subject, clock)`` → ``{"subject_label", "clock_label", "url"}`` for SLA messages,
    in the active language; a model without one is described by its case spec (number, clock label,
    staff page)."""
    _describers[_key(model)] = describe


def clock_subject_describe(subject: models.Model, clock: SlaClock) -> dict:
    describe = _describers.get(_key(type(subject)))
    if describe is not None:
        return describe(subject, clock)
    from ..cases.spec import case_spec_for

    spec = case_spec_for(type(subject))
    return {
        "subject_label": str(getattr(subject, "number", subject)),
        "clock_label": spec.clock_label(clock.name) if spec else clock.name,
        "url": spec.staff_url(subject) if spec else "",
    }


def dispatch(events: Sequence[RecordedClockEvent]) -> None:
    by_type: dict[int, list[RecordedClockEvent]] = {}
    for event in events:
        by_type.setdefault(event.clock.content_type_id, []).append(event)
    groups = [
        (ContentType.objects.get_for_id(content_type_id).model_class(), group)
        for content_type_id, group in by_type.items()
    ]
    # Case kinds first, dependent kinds after (the lock order); otherwise in the order recorded.
    groups.sort(key=lambda item: item[0] is not None and _key(item[0]) in _dependent)
    for model, group in groups:
        handler = _handlers.get(_key(model)) if model else None
        if handler is None:
            logger.warning("no SLA clock handler for %s; %d event(s) recorded only", model, len(group))
            continue
        handler(group)
