"""Service tickets: the SLA matrix, technicians, the ticket state machine and what hangs off a ticket."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import GET_STATE, ConcurrentTransitionMixin, FSMField, transition

from aftersales.core.cases.models import Case, CaseAttachment, CaseEvent, TypedContact
from aftersales.core.models.sla import default_thresholds

from .choices import (
    Channel,
    FollowUpKind,
    FunctionalTest,
    Priority,
    Status,
    TicketType,
)

MONEY = {"max_digits": 12, "decimal_places": 2}


def default_ladder() -> list[str]:
    # Escalation ladder (REQUIREMENTS §4): each breach climbs one rung.
    return ["assignee", "supervisor", "manager", "executive"]


class SlaPolicy(models.Model):
    """One cell of the SLA matrix: targets for (type × priority × customer tier)."""

    ticket_type = models.CharField(_("type"), max_length=20, choices=TicketType.choices)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    # Blank tier: applies to every tier unless a tier-specific row exists.
    customer_tier = models.CharField(_("customer tier"), max_length=20, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("first response (minutes)"))
    on_site_minutes = models.PositiveIntegerField(_("on site / restore (minutes)"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("resolution (minutes)"))
    calendar = models.ForeignKey("core.BusinessCalendar", verbose_name=_("calendar"), on_delete=models.PROTECT)
    thresholds = models.JSONField(_("warning thresholds (%)"), default=default_thresholds)
    escalation_ladder = models.JSONField(_("escalation ladder"), default=default_ladder)

    class Meta:
        ordering = ["ticket_type", "priority", "customer_tier"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket_type", "priority", "customer_tier"], name="tickets_slapolicy_unique_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_ticket_type_display()} / {self.get_priority_display()} / {self.customer_tier or '*'}"


class Technician(models.Model):
    """A technician's dispatch profile: skills, region, certification (001 三(二)1; pass lines 004 §5.3)."""

    PASS_KNOWLEDGE, PASS_SKILL, PASS_BEHAVIOUR = 60, 70, 80

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="technician")
    skills = models.ManyToManyField("warranty.ProductCategory", verbose_name=_("skills"), blank=True)
    region = models.ForeignKey("core.Region", verbose_name=_("region"), on_delete=models.PROTECT, null=True)
    knowledge_score = models.PositiveSmallIntegerField(
        _("knowledge score"), default=0, validators=[MaxValueValidator(100)]
    )
    skill_score = models.PositiveSmallIntegerField(_("skill score"), default=0, validators=[MaxValueValidator(100)])
    behaviour_score = models.PositiveSmallIntegerField(
        _("behaviour score"), default=0, validators=[MaxValueValidator(100)]
    )
    certified_on = models.DateField(_("certified on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("technician")
        verbose_name_plural = _("technicians")

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.username

    @property
    def is_certified(self) -> bool:
        """Only a technician who passed all three lines of the training may be assigned."""
        return (
            self.certified_on is not None
            and self.knowledge_score >= self.PASS_KNOWLEDGE
            and self.skill_score >= self.PASS_SKILL
            and self.behaviour_score >= self.PASS_BEHAVIOUR
        )


def _resume_state(ticket, *args, **kwargs):
    return ticket.resume_status or Status.ACKNOWLEDGED


_ACTIVE = [Status.ACKNOWLEDGED, Status.DIAGNOSING, Status.DISPATCHED, Status.IN_PROGRESS]
_CANCELLABLE = [Status.NEW, *_ACTIVE, Status.AWAITING_QUOTE, Status.AWAITING_PARTS, Status.AWAITING_CUSTOMER]


class Ticket(ConcurrentTransitionMixin, TypedContact, Case):
    """A service request moving through the lifecycle of REQUIREMENTS §3.

    Transition methods change fields only; ``services.ticket_transition`` locks the row, checks the
    role, validates the action's fields, calls the method, appends the event, moves the SLA clocks
    and writes notifications — all in one transaction.
    """

    NUMBER_PREFIX = "T"  # T2026112300042: numbering.number_next

    ticket_type = models.CharField(_("type"), max_length=20, choices=TicketType.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.PHONE)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = FSMField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW, protected=True)
    customer = models.ForeignKey(
        "core.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tickets"
    )
    unit = models.ForeignKey(
        "warranty.RegisteredUnit",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    region = models.ForeignKey("core.Region", verbose_name=_("region"), on_delete=models.PROTECT, null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    sla_policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    entitlement = models.ForeignKey(
        "warranty.EntitlementDecision", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # No accessor on the quote (warranty sits below tickets), but a query name: who may see a quote
    # follows the ticket that uses it (warranty.selectors.quotes_visible_to, tickets__assignee=user).
    quote = models.ForeignKey(
        "warranty.Quote",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        related_query_name="tickets",
    )
    resume_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    fault_cause = models.CharField(_("fault cause"), max_length=40, blank=True)
    diagnosis = models.TextField(_("diagnosis"), blank=True)
    appointment_at = models.DateTimeField(_("appointment"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    functional_test = models.CharField(_("functional test"), max_length=20, choices=FunctionalTest.choices, blank=True)
    labour_hours = models.DecimalField(_("labour hours"), max_digits=6, decimal_places=2, default=Decimal("0"))
    travel_km = models.PositiveIntegerField(_("travel (km)"), default=0)
    first_visit_fixed = models.BooleanField(_("fixed at the first visit"), null=True, blank=True)
    visits = models.PositiveSmallIntegerField(_("visits"), default=0)
    created_at = models.DateTimeField(_("created at"))  # indexed with the id: see Meta.indexes
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("service ticket")
        verbose_name_plural = _("service tickets")
        indexes = [
            # The staff list's order, ties included: a page at any depth is a plain index walk
            # (ordered by created_at alone, PostgreSQL re-sorted every run of equal times).
            models.Index(fields=["-created_at", "-id"], name="tickets_created_idx"),
            models.Index(fields=["status", "-created_at"], name="tickets_status_created_idx"),
            # The staff list filtered by status and priority (a rare priority among a common status
            # otherwise walks most of the status index), newest first.
            models.Index(fields=["status", "priority", "-created_at"], name="tickets_status_priority_idx"),
            models.Index(fields=["assignee", "status"], name="tickets_assignee_status_idx"),
            models.Index(fields=["customer", "-created_at"], name="tickets_customer_idx"),
        ]
        permissions = [
            ("respond_ticket", _("Can respond to tickets (acknowledge, wait for customer, close)")),
            ("diagnose_ticket", _("Can diagnose tickets")),
            ("quote_ticket", _("Can quote out-of-warranty work")),
            ("dispatch_ticket", _("Can dispatch tickets to technicians")),
            ("work_ticket", _("Can work on tickets (start work, resolve)")),
            ("cancel_ticket", _("Can cancel tickets")),
            ("reopen_ticket", _("Can reopen tickets")),
        ]

    def add_work(self, work) -> None:
        """Add one visit's labour and travel (``actions.Work``, already checked) to the totals."""
        self.labour_hours += work.labour_hours
        self.travel_km += work.travel_km

    # --- transitions (fields only; see services.ticket_transition) ------------------------------
    @transition(field=status, source=Status.NEW, target=Status.ACKNOWLEDGED)
    def acknowledge(self, *, now):
        self.acknowledged_at = now

    @transition(field=status, source=Status.ACKNOWLEDGED, target=Status.DIAGNOSING)
    def diagnose(self, *, diagnosis: str = "", fault_cause: str = ""):
        self.diagnosis = diagnosis or self.diagnosis
        self.fault_cause = fault_cause or self.fault_cause

    @transition(field=status, source=Status.DIAGNOSING, target=Status.AWAITING_QUOTE)
    def request_quote(self, *, quote):
        self.quote = quote

    @transition(field=status, source=Status.AWAITING_QUOTE, target=Status.DIAGNOSING)
    def approve_quote(self):
        pass

    @transition(field=status, source=Status.AWAITING_QUOTE, target=Status.CANCELLED)
    def decline_quote(self, *, now):
        self.cancelled_at = now

    @transition(field=status, source=[Status.DIAGNOSING, Status.DISPATCHED], target=Status.DISPATCHED)
    def dispatch(self, *, technician, appointment_at=None):
        self.assignee = technician
        self.appointment_at = appointment_at

    @transition(field=status, source=Status.DISPATCHED, target=Status.IN_PROGRESS)
    def start_work(self):
        self.visits += 1

    @transition(
        field=status, source=[Status.DIAGNOSING, Status.DISPATCHED, Status.IN_PROGRESS], target=Status.AWAITING_PARTS
    )
    def wait_parts(self):
        self.resume_status = self.status

    @transition(field=status, source=Status.AWAITING_PARTS, target=GET_STATE(_resume_state, states=_ACTIVE))
    def parts_arrived(self):
        pass

    @transition(field=status, source=_ACTIVE, target=Status.AWAITING_CUSTOMER)
    def wait_customer(self):
        self.resume_status = self.status

    @transition(field=status, source=Status.AWAITING_CUSTOMER, target=GET_STATE(_resume_state, states=_ACTIVE))
    def resume(self):
        pass

    @transition(
        field=status,
        source=[Status.ACKNOWLEDGED, Status.DIAGNOSING, Status.IN_PROGRESS],
        target=Status.RESOLVED,
        conditions=[
            lambda ticket: ticket.status == Status.IN_PROGRESS or ticket.ticket_type == TicketType.CONSULTATION
        ],
    )
    def resolve(self, *, resolution: str, functional_test: str, now, work=None):
        self.resolution = resolution
        self.functional_test = functional_test
        self.resolved_at = now
        if work:
            self.add_work(work)
        if self.first_visit_fixed is None:
            self.first_visit_fixed = self.visits <= 1

    @transition(field=status, source=Status.RESOLVED, target=Status.CONFIRMED)
    def confirm(self):
        pass

    @transition(field=status, source=[Status.RESOLVED, Status.CONFIRMED], target=Status.CLOSED)
    def close(self, *, now):
        self.closed_at = now

    @transition(field=status, source=_CANCELLABLE, target=Status.CANCELLED)
    def cancel(self, *, now):
        self.cancelled_at = now

    @transition(field=status, source=[Status.RESOLVED, Status.CONFIRMED, Status.CLOSED], target=Status.ACKNOWLEDGED)
    def reopen(self):
        self.reopened_count += 1
        self.resolved_at = None
        self.closed_at = None
        self.resolution = ""
        self.functional_test = ""
        self.first_visit_fixed = False  # it came back: not fixed the first time


class TicketEvent(CaseEvent):
    """Append-only history: who did what, when, from which state to which (``CaseEvent``)."""

    case_field = "ticket"
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")


class TicketAttachment(CaseAttachment):
    """A photo or document on a ticket, from the customer (portal, API) or from staff."""

    case_field = "ticket"
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="attachments")

    class Meta(CaseAttachment.Meta):
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")


class PartUsage(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="parts")
    part_number = models.CharField(_("part number"), max_length=64)
    description = models.CharField(_("description"), max_length=200)
    quantity = models.PositiveSmallIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_cost = models.DecimalField(_("unit cost"), **MONEY)
    replacement_serial = models.CharField(_("serial of the new part"), max_length=64, blank=True)
    paid_by_customer = models.BooleanField(_("paid by the customer"), default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        ordering = ["ticket", "id"]
        verbose_name = _("part used")
        verbose_name_plural = _("parts used")

    def __str__(self) -> str:
        return f"{self.part_number} × {self.quantity}"


class StandbyUnit(models.Model):
    """A same-model unit kept to lend when a critical repair takes longer than 4 h (002 §11)."""

    serial = models.CharField(_("serial number"), max_length=64, unique=True)
    product_model = models.ForeignKey("warranty.ProductModel", verbose_name=_("model"), on_delete=models.PROTECT)
    region = models.ForeignKey("core.Region", verbose_name=_("region"), on_delete=models.PROTECT, null=True)
    is_available = models.BooleanField(_("available"), default=True)

    class Meta:
        ordering = ["product_model", "serial"]
        verbose_name = _("standby unit")
        verbose_name_plural = _("standby units")

    def __str__(self) -> str:
        return self.serial


class StandbyLoan(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="standby_loans")
    standby_unit = models.ForeignKey(StandbyUnit, on_delete=models.PROTECT, related_name="loans")
    lent_at = models.DateTimeField(_("lent at"))
    lent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)

    class Meta:
        ordering = ["-lent_at"]
        verbose_name = _("standby loan")
        verbose_name_plural = _("standby loans")
        constraints = [
            # A standby unit is with one customer at a time.
            models.UniqueConstraint(
                fields=["standby_unit"], condition=Q(returned_at__isnull=True), name="tickets_standby_one_open_loan"
            )
        ]

    def __str__(self) -> str:
        return f"{self.standby_unit} → {self.ticket}"


class Survey(models.Model):
    """The return-visit survey of one resolution: CSAT 1–5 and a comment, answered once."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="surveys")
    cycle = models.PositiveSmallIntegerField(_("resolution cycle"), default=1)
    sent_at = models.DateTimeField(_("sent at"))
    score = models.PositiveSmallIntegerField(
        _("score"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["ticket", "cycle"]
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "cycle"], name="tickets_survey_once_per_resolution"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5), name="tickets_survey_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} #{self.cycle}: {self.score or '—'}"


class FollowUp(models.Model):
    """A task for staff: a return visit, a low-score follow-up, a late-promise report, a standby loan."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="follow_ups")
    kind = models.CharField(_("kind"), max_length=20, choices=FollowUpKind.choices)
    key = models.CharField(max_length=100, unique=True)  # idempotency: created once per cause
    assigned_role = models.CharField(_("for role"), max_length=20)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # For late promises (000 P1§5): why it was late and what was done about it.
    explanation = models.TextField(_("explanation"), blank=True)
    remedy = models.TextField(_("remedy"), blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["done_at", "due_at", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        indexes = [models.Index(fields=["kind"], condition=Q(done_at__isnull=True), name="tickets_followup_open_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.ticket}"
