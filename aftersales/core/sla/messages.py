"""The SLA warning and breach messages: ids in the outbox row, labels at delivery.

A sweep batch writes hundreds of these. Building their texts there (a case's type label, a clock's
translated name, for every event) cost about 15% of the sweep; the row now stores the clock's id and
the figures of the event, and ``sla_message_context`` looks the labels up when the message is
delivered, in the recipient's language (``outbox.rendering.register_message_context``).
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType

from ..models import SlaClock
from .registry import RecordedClockEvent, clock_subject_describe

SLA_TEMPLATES = ("sla_warning", "sla_breach")


def sla_message_ids(event: RecordedClockEvent, escalation_level: int) -> dict:
    """What an SLA message stores: the clock, the threshold, the level reached and the due time then."""
    due_at = event.clock.due_at
    return {
        "clock": event.clock.pk,
        "threshold": event.threshold,
        "escalation_level": escalation_level,
        "due_at": due_at.isoformat() if due_at else "",
    }


def sla_message_context(stored: dict) -> dict:
    """At delivery: the subject's label, the clock's name and the staff page of a stored clock id."""
    clock = SlaClock.objects.filter(pk=stored["clock"]).first() if "clock" in stored else None
    if clock is None:
        return {}
    model = ContentType.objects.get_for_id(clock.content_type_id).model_class()
    subject = model._default_manager.filter(pk=clock.object_id).first() if model is not None else None
    if subject is None:  # deleted since: say which clock, at least
        return {"subject_label": "", "clock_label": clock.name, "url": ""}
    return clock_subject_describe(subject, clock)
