"""Test support for SLA clocks: a subject model with a handler that notifies through the outbox."""

from __future__ import annotations

from collections.abc import Sequence

from aftersales.core.models import Customer, OutboxMessage
from aftersales.core.outbox.services import Notification, outbox_enqueue
from aftersales.core.sla.registry import RecordedClockEvent


def notify_supervisor(events: Sequence[RecordedClockEvent]) -> None:
    """What an app's handler does: one outbox message per recorded warning or breach."""
    outbox_enqueue(
        notifications=[
            Notification(
                key=f"clock:{event.clock.pk}:{event.kind}:{event.threshold}",
                channel=OutboxMessage.Channel.IN_APP,
                recipient="supervisor",
                template="sla_breach" if event.is_breach else "sla_warning",
                context={"threshold": event.threshold, "clock_label": event.clock.name},
            )
            for event in events
        ]
    )


def make_customer(name: str = "Test customer") -> Customer:
    return Customer.objects.create(name=name, phone="13800000000")
