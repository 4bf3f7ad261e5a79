"""Choice lists of service tickets (REQUIREMENTS §3)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketType(models.TextChoices):
    REPAIR = "repair", _("Repair")
    CONSULTATION = "consultation", _("Consultation")
    INSTALLATION = "installation", _("Installation")
    RETURN_EXCHANGE = "return_exchange", _("Return / exchange")
    MAINTENANCE = "maintenance", _("Maintenance visit")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone (400 line)")
    WEB = "web", _("Web portal")
    APP = "app", _("App")
    WECHAT = "wechat", _("WeChat")
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")
    WALK_IN = "walk_in", _("Walk-in")
    THIRD_PARTY = "third_party", _("Third-party store")


class Priority(models.TextChoices):
    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High / urgent")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class Status(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    DIAGNOSING = "diagnosing", _("Diagnosing")
    AWAITING_QUOTE = "awaiting_quote", _("Awaiting quote approval")
    AWAITING_PARTS = "awaiting_parts", _("Awaiting parts")
    AWAITING_CUSTOMER = "awaiting_customer", _("Awaiting customer")
    DISPATCHED = "dispatched", _("Dispatched")
    IN_PROGRESS = "in_progress", _("On site / in repair")
    RESOLVED = "resolved", _("Resolved")
    CONFIRMED = "confirmed", _("Confirmed by customer")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = frozenset(set(Status) - {Status.RESOLVED, Status.CONFIRMED, Status.CLOSED, Status.CANCELLED})
# Waiting on someone outside the service desk: the SLA clocks stop (REQUIREMENTS §3).
PAUSED_STATUSES = frozenset({Status.AWAITING_QUOTE, Status.AWAITING_PARTS, Status.AWAITING_CUSTOMER})


class FunctionalTest(models.TextChoices):
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class ClockName(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    ON_SITE = "on_site", _("On site / restore")
    RESOLUTION = "resolution", _("Resolution")
    CSAT_REPLY = "csat_reply", _("Return visit reply")


class FollowUpKind(models.TextChoices):
    RETURN_VISIT = "return_visit", _("Return visit (no survey reply)")
    LOW_SCORE = "low_score", _("Low satisfaction score")
    BREACH_REPORT = "breach_report", _("Explain a late promise")
    SWAP = "swap", _("Lend a standby unit")
