"""Complaints: a first-class record with its own lifecycle, promises, investigation and PDCA loop.

Not a ticket type: a complaint has a dedicated owner, a severity that decides who hears about it,
an investigation that names a cause, a resolution the customer accepts or objects to, and
corrective actions that outlive it (REQUIREMENTS §5; 004 ch. 2–3, 000 P2§二, 002 §16).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from aftersales.core.cases.models import Case, CaseAttachment, CaseEvent, TypedContact
from aftersales.core.models.sla import default_thresholds

from .choices import (
    OPEN_STATUSES,
    Category,
    Cause,
    Channel,
    CompensationKind,
    CorrectiveStatus,
    ResolutionType,
    Severity,
    Status,
)

MONEY = {"max_digits": 12, "decimal_places": 2}
# A proposal not answered after this many documented contact attempts may be closed with a reason.
CLOSE_AFTER_ATTEMPTS = 3


def default_ladder() -> list[str]:
    # owner → supervisor → service manager → executive (REQUIREMENTS §4, §5)
    return ["owner", "supervisor", "manager", "executive"]


class ComplaintSlaPolicy(models.Model):
    """The promises of one severity (REQUIREMENTS §4 defaults, seeded by migration 0002)."""

    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, unique=True)
    first_response_minutes = models.PositiveIntegerField(_("first response (minutes)"))
    on_site_minutes = models.PositiveIntegerField(_("on site (minutes)"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("resolution (minutes)"))
    calendar = models.ForeignKey("core.BusinessCalendar", verbose_name=_("calendar"), on_delete=models.PROTECT)
    thresholds = models.JSONField(_("warning thresholds (%)"), default=default_thresholds)
    escalation_ladder = models.JSONField(_("escalation ladder"), default=default_ladder)

    class Meta:
        ordering = ["severity"]
        verbose_name = _("complaint SLA policy")
        verbose_name_plural = _("complaint SLA policies")

    def __str__(self) -> str:
        return str(self.get_severity_display())


class Complaint(ConcurrentTransitionMixin, TypedContact, Case):
    """A customer's complaint from intake to archive (004 §2.2–2.5).

    Transition methods change fields only; ``services.complaint_transition`` locks the row, checks
    the role, validates the fields, calls the method, appends the event, moves the clocks and writes
    the notifications in one transaction.
    """

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.PHONE)
    category = models.CharField(_("category"), max_length=40, choices=Category.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.GENERAL)
    status = FSMField(_("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED, protected=True)
    customer = models.ForeignKey(
        "core.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="complaints"
    )
    unit = models.ForeignKey(
        "warranty.RegisteredUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
    )
    tickets = models.ManyToManyField(
        "tickets.Ticket", verbose_name=_("related tickets"), blank=True, related_name="complaints"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_complaints",
    )
    sla_policy = models.ForeignKey(
        ComplaintSlaPolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Duplicate handling: the same matter already open is linked, not handled twice.
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    duplicate_override_reason = models.TextField(_("why handled separately"), blank=True)
    # Told to the customer at the first response (004 §2.2).
    promised_by = models.DateTimeField(_("expected handling time"), null=True, blank=True)
    # Investigation (004 §2.3).
    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices, blank=True)
    root_causes = models.JSONField(_("root-cause codes"), default=list, blank=True)
    findings = models.TextField(_("findings"), blank=True)
    responsible_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member concerned"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints_concerning",
    )
    # Resolution (004 §2.4).
    resolution_type = models.CharField(_("resolution"), max_length=20, choices=ResolutionType.choices, blank=True)
    resolution = models.TextField(_("resolution details"), blank=True)
    compensation_kind = models.CharField(_("compensation"), max_length=10, choices=CompensationKind.choices, blank=True)
    compensation_amount = models.DecimalField(
        _("compensation amount"), default=Decimal("0"), validators=[MinValueValidator(0)], **MONEY
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    objection_count = models.PositiveSmallIntegerField(_("objections"), default=0)
    contact_attempts = models.PositiveSmallIntegerField(_("contact attempts"), default=0)
    return_visit = models.TextField(_("return visit"), blank=True)
    close_reason = models.TextField(_("closed without confirmation because"), blank=True)
    created_at = models.DateTimeField(_("received at"), db_index=True)
    visited_at = models.DateTimeField(_("visited at"), null=True, blank=True)
    proposed_at = models.DateTimeField(_("resolution proposed at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["status", "-created_at"], name="complaints_status_created_idx"),
            models.Index(fields=["owner", "status"], name="complaints_owner_status_idx"),
            # The duplicate rule's lookup: this customer's open complaints of a category.
            models.Index(fields=["customer", "category", "-created_at"], name="complaints_duplicate_idx"),
        ]
        permissions = [
            ("respond_complaint", _("Can respond to complaints (acknowledge, contact, close)")),
            ("investigate_complaint", _("Can investigate complaints and propose resolutions")),
            ("assign_complaint", _("Can assign complaint owners and decide on duplicates")),
            ("approve_compensation", _("Can approve compensation above the limit")),
            ("reopen_complaint", _("Can reopen complaints")),
            ("verify_correctiveaction", _("Can verify corrective actions")),
        ]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    # --- transitions (fields only; see services.complaint_transition) ----------------------------
    @transition(field=status, source=Status.RECEIVED, target=Status.ACKNOWLEDGED)
    def acknowledge(self, *, now, owner, promised_by):
        self.acknowledged_at = now
        self.owner = owner
        self.promised_by = promised_by

    @transition(field=status, source=list(OPEN_STATUSES), target=RETURN_VALUE(*OPEN_STATUSES))
    def classify(self, *, category: str, severity: str, sla_policy):
        self.category, self.severity, self.sla_policy = category, severity, sla_policy
        return self.status

    @transition(field=status, source=list(OPEN_STATUSES), target=RETURN_VALUE(*OPEN_STATUSES))
    def assign(self, *, owner):
        self.owner = owner
        return self.status

    @transition(field=status, source=[Status.ACKNOWLEDGED, Status.INVESTIGATING], target=RETURN_VALUE(*OPEN_STATUSES))
    def record_visit(self, *, now):
        self.visited_at = self.visited_at or now
        return self.status

    @transition(field=status, source=Status.ACKNOWLEDGED, target=Status.INVESTIGATING)
    def investigate(self):
        pass

    @transition(
        field=status,
        source=Status.INVESTIGATING,
        target=RETURN_VALUE(Status.PROPOSED, Status.AWAITING_APPROVAL),
    )
    def propose_resolution(self, *, findings: dict, resolution: dict, actor, now, needs_approval: bool):
        for name, value in {**findings, **resolution}.items():
            setattr(self, name, value)
        self.proposed_by = actor
        self.approved_by, self.approved_at = (None, None) if needs_approval else (actor, now)
        self.proposed_at = None if needs_approval else now
        return Status.AWAITING_APPROVAL if needs_approval else Status.PROPOSED

    @transition(field=status, source=Status.AWAITING_APPROVAL, target=Status.PROPOSED)
    def approve_resolution(self, *, actor, now):
        self.approved_by, self.approved_at, self.proposed_at = actor, now, now

    @transition(field=status, source=Status.AWAITING_APPROVAL, target=Status.INVESTIGATING)
    def reject_resolution(self):
        pass

    @transition(field=status, source=Status.PROPOSED, target=Status.CONFIRMED)
    def confirm(self, *, now):
        self.confirmed_at = now

    @transition(field=status, source=Status.PROPOSED, target=Status.INVESTIGATING)
    def object(self):
        # The customer does not accept: back to the investigation (004 §2.4).
        self.objection_count += 1
        self.contact_attempts = 0

    @transition(field=status, source=Status.PROPOSED, target=RETURN_VALUE(Status.PROPOSED))
    def contact_attempt(self):
        self.contact_attempts += 1
        return self.status

    @transition(
        field=status,
        source=[Status.CONFIRMED, Status.PROPOSED],
        target=Status.CLOSED,
        conditions=[
            lambda complaint: complaint.status == Status.CONFIRMED or complaint.contact_attempts >= CLOSE_AFTER_ATTEMPTS
        ],
    )
    def close(self, *, now, return_visit: str = "", close_reason: str = ""):
        self.closed_at = now
        self.return_visit = return_visit
        self.close_reason = close_reason

    @transition(field=status, source=[Status.CONFIRMED, Status.CLOSED], target=Status.INVESTIGATING)
    def reopen(self):
        self.reopened_count += 1
        self.confirmed_at = None
        self.closed_at = None
        self.proposed_at = None
        self.contact_attempts = 0

    @transition(field=status, source=[*OPEN_STATUSES, Status.LINKED], target=Status.WITHDRAWN)
    def withdraw(self, *, now):
        self.withdrawn_at = now

    @transition(field=status, source=Status.LINKED, target=RETURN_VALUE(Status.CLOSED, Status.WITHDRAWN))
    def follow_original(self, *, original, now):
        """A linked duplicate ends with the complaint that handled its matter (not a staff action)."""
        if original.status == Status.WITHDRAWN:
            self.withdrawn_at = now
            return Status.WITHDRAWN
        self.closed_at = now
        self.close_reason = f"handled as {original.number}"
        return Status.CLOSED

    @transition(field=status, source=Status.LINKED, target=Status.RECEIVED)
    def unlink(self, *, reason: str):
        self.duplicate_override_reason = reason
        self.duplicate_of = None


class ComplaintEvent(CaseEvent):
    """Append-only history of a complaint: who did what, when, from which state to which (``CaseEvent``)."""

    case_field = "complaint"
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = _("complaint event")
        verbose_name_plural = _("complaint events")


class ComplaintAttachment(CaseAttachment):
    """A photo or document on a complaint, from the customer (portal, API) or from staff."""

    case_field = "complaint"
    complaint = models.ForeignKey(
        Complaint, verbose_name=_("complaint"), on_delete=models.PROTECT, related_name="attachments"
    )

    class Meta(CaseAttachment.Meta):
        verbose_name = _("complaint attachment")
        verbose_name_plural = _("complaint attachments")


class CorrectiveAction(models.Model):
    """Plan–do–check–act (001 二.4): what changes so the cause does not return, and proof it worked.

    Its due date runs on an SLA clock (``CORRECTIVE_CLOCK``), so the core sweep warns the owner and
    escalates an overdue action exactly once per threshold, like any other promise.
    """

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="corrective_actions")
    description = models.TextField(_("action"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="corrective_actions"
    )
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=CorrectiveStatus.choices, default=CorrectiveStatus.OPEN
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_note = models.TextField(_("what was done"), blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verification_note = models.TextField(_("verification"), blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        indexes = [
            models.Index(fields=["owner", "status"], name="complaints_ca_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.complaint} · {self.description[:40]}"


class StaffComplaintRecord(models.Model):
    """A verified complaint against a staff member, kept on that person's record (002 §16)."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="complaint_records",
    )
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="staff_records")
    category = models.CharField(_("category"), max_length=40, choices=Category.choices)
    root_causes = models.JSONField(_("root-cause codes"), default=list, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = _("complaint on a staff record")
        verbose_name_plural = _("complaints on staff records")
        constraints = [
            models.UniqueConstraint(fields=["staff", "complaint"], name="complaints_staff_record_once"),
        ]

    def __str__(self) -> str:
        return f"{self.staff} · {self.complaint}"


class BreachReport(models.Model):
    """A late promise asks for an explanation and a remedy (000 P1§5); one per breached clock."""

    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="breach_reports")
    key = models.CharField(max_length=100, unique=True)  # idempotency: one per breach
    clock_name = models.CharField(_("promise"), max_length=30)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))
    explanation = models.TextField(_("explanation"), blank=True)
    remedy = models.TextField(_("remedy"), blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["done_at", "created_at", "id"]
        verbose_name = _("late promise report")
        verbose_name_plural = _("late promise reports")
        indexes = [
            models.Index(fields=["created_at"], condition=Q(done_at__isnull=True), name="complaints_breach_open_idx")
        ]

    def __str__(self) -> str:
        return f"{self.complaint} · {self.clock_name}"
