"""Models shared by several apps. Import from here, not from the submodules."""

from .attachments import Attachment
from .audit import AuditEvent
from .calendars import BusinessCalendar, CalendarDay, WorkingPeriod
from .customers import Customer, Region
from .numbering import NumberSequence
from .outbox import DeliveryAttempt, OutboxMessage
from .sla import ClockEvent, SlaClock, UnreachedBreach
from .tokens import ApiToken
from .tracking import TrackingLink

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "BusinessCalendar",
    "CalendarDay",
    "ClockEvent",
    "Customer",
    "DeliveryAttempt",
    "NumberSequence",
    "OutboxMessage",
    "Region",
    "SlaClock",
    "TrackingLink",
    "UnreachedBreach",
    "WorkingPeriod",
]
