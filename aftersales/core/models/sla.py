from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .calendars import BusinessCalendar

DEFAULT_THRESHOLDS = [50, 75, 90]  # percent of the allowed time (REQUIREMENTS §4)
BREACH_THRESHOLD = 100


def default_thresholds() -> list[int]:
    return list(DEFAULT_THRESHOLDS)


class SlaClock(models.Model):
    """One promise on one subject (a ticket's first response, a complaint's resolution, …).

    Time is counted on ``calendar``; pauses stop the count. ``next_check_at`` is the earliest moment
    something can happen to the clock (a warning threshold or the due time) and is NULL when
    nothing can: the sweep reads only the partial index over non-NULL values, so its cost follows
    the clocks falling due, not the clocks open (DESIGN-SLA.md).
    """

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        MET = "met", _("Met")
        BREACHED = "breached", _("Breached")  # past due and still running
        CANCELLED = "cancelled", _("Cancelled")

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    name = models.CharField(_("name"), max_length=40)
    # A reopened subject starts a new cycle of the same clock; earlier cycles stay as history.
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=1)
    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("calendar"), on_delete=models.PROTECT)
    target_seconds = models.PositiveIntegerField(_("target (seconds)"))
    thresholds = models.JSONField(_("warning thresholds (%)"), default=default_thresholds)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(_("started at"))
    # Start of the current running segment; business time before it is in consumed_seconds.
    segment_started_at = models.DateTimeField(null=True, blank=True)
    consumed_seconds = models.PositiveIntegerField(default=0)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("paused (seconds)"), default=0)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="core_slaclock_subject_idx"),
            models.Index(
                fields=["next_check_at"], condition=Q(next_check_at__isnull=False), name="core_slaclock_due_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "name", "cycle"], name="core_slaclock_unique_cycle"
            ),
            models.CheckConstraint(condition=Q(target_seconds__gt=0), name="core_slaclock_target_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.RUNNING, self.State.PAUSED, self.State.BREACHED)


class ClockEvent(models.Model):
    """Append-only history of a clock; warnings and breaches are unique, which makes them exactly-once."""

    class Kind(models.TextChoices):
        STARTED = "started", _("Started")
        PAUSED = "paused", _("Paused")
        RESUMED = "resumed", _("Resumed")
        WARNING = "warning", _("Warning")
        BREACHED = "breached", _("Breached")
        MET = "met", _("Met")
        CANCELLED = "cancelled", _("Cancelled")

    clock = models.ForeignKey(SlaClock, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    threshold = models.PositiveSmallIntegerField(_("threshold (%)"), null=True, blank=True)
    # When it happened (a breach happens at the due time, even if a sweep notices it a minute later).
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(_("recorded at"))
    consumed_seconds = models.PositiveIntegerField(_("business time used (seconds)"), default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("clock event")
        verbose_name_plural = _("clock events")
        constraints = [
            models.UniqueConstraint(
                fields=["clock", "kind", "threshold"],
                condition=Q(kind__in=["warning", "breached"]),
                name="core_clockevent_once",
            ),
        ]

    def __str__(self) -> str:
        suffix = f" {self.threshold}%" if self.kind == self.Kind.WARNING else ""
        return f"{self.get_kind_display()}{suffix} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class UnreachedBreach(models.Model):
    """An alarm: a breach whose escalation found nobody — its rung, every rung above and the
    administrators had no active member — so no person was asked to act on it.

    Written by the sweep in the transaction that recorded the breach (one per breach event), shown on
    ``/healthz`` (``unreached_breaches``) and in the admin until an administrator acknowledges it.
    """

    event = models.OneToOneField(ClockEvent, on_delete=models.PROTECT, related_name="unreached")
    clock = models.ForeignKey(SlaClock, on_delete=models.PROTECT, related_name="+")
    rung = models.CharField(_("rung"), max_length=50)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"))
    occurred_at = models.DateTimeField(_("occurred at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("unreached breach")
        verbose_name_plural = _("unreached breaches")
        indexes = [
            models.Index(
                fields=["occurred_at"], condition=Q(acknowledged_at__isnull=True), name="core_unreached_open_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.clock} @ {self.occurred_at:%Y-%m-%d %H:%M}"
