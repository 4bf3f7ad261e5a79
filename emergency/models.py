"""Incidents: the third kind of case (REQUIREMENTS §6; 002, 004 ch. 7).

Transition methods change fields only; ``services.incident_transition`` runs them through the case
kit (lock → authorize → validate → transition → event → clocks) in one transaction.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from aftersales.core.cases.models import Case, CaseAttachment, CaseEvent
from aftersales.core.models.sla import default_thresholds

from .choices import BEFORE_RECOVERY, Channel, IncidentType, Level, Status


class IncidentSlaPolicy(models.Model):
    """The promises of one level (respond 2 h, initial handling 24 h by default; 004 §7.2)."""

    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, unique=True)
    respond_minutes = models.PositiveIntegerField(_("respond (minutes)"))
    initial_handling_minutes = models.PositiveIntegerField(_("initial handling (minutes)"))
    calendar = models.ForeignKey("core.BusinessCalendar", verbose_name=_("calendar"), on_delete=models.PROTECT)
    thresholds = models.JSONField(_("warning thresholds (%)"), default=default_thresholds)

    class Meta:
        ordering = ["level"]
        verbose_name = _("incident SLA policy")
        verbose_name_plural = _("incident SLA policies")

    def __str__(self) -> str:
        return str(self.get_level_display())


class Incident(ConcurrentTransitionMixin, Case):
    """One emergency from report to close (or stand-down)."""

    incident_type = models.CharField(_("type"), max_length=30, choices=IncidentType.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, null=True, blank=True)
    title = models.CharField(_("title"), max_length=200)
    scope = models.JSONField(_("scope"), default=dict, blank=True)
    status = FSMField(_("status"), max_length=20, choices=Status.choices, default=Status.REPORTED, protected=True)
    drill = models.BooleanField(_("drill"), default=False)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.PHONE)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reporter"), on_delete=models.PROTECT, related_name="+"
    )
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("commander"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="commanded_incidents",
    )
    communications = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("communications"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    scribe = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scribe"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    sla_policy = models.ForeignKey(IncidentSlaPolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    stand_down_reason = models.TextField(_("stood down because"), blank=True)
    reported_at = models.DateTimeField(_("reported at"))
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    recovered_at = models.DateTimeField(_("recovered at"), null=True, blank=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        permissions = [("run_incident", _("Can run incidents (assess, activate, change level, close)"))]

    # --- transitions (fields only) ---

    @transition(field=status, source=Status.REPORTED, target=Status.ASSESSED)
    def assess(self, *, level: int, scope: dict, sla_policy: IncidentSlaPolicy | None, commander=None) -> None:
        self.level, self.scope, self.sla_policy = level, scope, sla_policy
        if commander is not None:
            self.commander = commander

    @transition(field=status, source=Status.ASSESSED, target=Status.ACTIVATED)
    def activate(self, *, at) -> None:
        # ``acknowledged_at`` is set when someone acknowledges the page (emergency.paging), not here.
        self.activated_at = at

    @transition(field=status, source=Status.ACTIVATED, target=Status.MITIGATING)
    def mitigate(self) -> None:
        pass

    @transition(field=status, source=Status.MITIGATING, target=Status.RECOVERED)
    def recover(self, *, at) -> None:
        self.recovered_at = at

    @transition(field=status, source=Status.RECOVERED, target=Status.REVIEWED)
    def review(self) -> None:
        pass

    @transition(field=status, source=[Status.RECOVERED, Status.REVIEWED], target=Status.CLOSED)
    def close(self, *, at) -> None:
        self.closed_at = at

    @transition(field=status, source=BEFORE_RECOVERY, target=None)
    def escalate_level(self, *, level: int, sla_policy: IncidentSlaPolicy | None) -> None:
        self.level, self.sla_policy = level, sla_policy
        self.escalation_level += 1

    @transition(field=status, source=BEFORE_RECOVERY, target=None)
    def downgrade(self, *, level: int, sla_policy: IncidentSlaPolicy | None) -> None:
        self.level, self.sla_policy = level, sla_policy

    @transition(field=status, source=[Status.REPORTED, *BEFORE_RECOVERY], target=Status.STOOD_DOWN)
    def stand_down(self, *, reason: str, at) -> None:
        self.stand_down_reason, self.closed_at = reason, at


class IncidentReview(models.Model):
    """The post-incident review: written by one person, verified by another before the incident closes."""

    incident = models.OneToOneField(Incident, on_delete=models.PROTECT, related_name="post_review")
    root_cause = models.TextField(_("root cause"))
    lessons = models.TextField(_("lessons learned"))
    accountability = models.TextField(_("accountability"))
    customer_follow_up = models.TextField(_("customer follow-up"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(_("written at"))
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("post-incident review")
        verbose_name_plural = _("post-incident reviews")

    def __str__(self) -> str:
        return f"{self.incident_id}"


class IncidentEvent(CaseEvent):
    """Append-only history of an incident (``CaseEvent``): the timeline of the command page."""

    case_field = "incident"
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="events")

    class Meta(CaseEvent.Meta):
        verbose_name = _("incident event")
        verbose_name_plural = _("incident events")


class IncidentAttachment(CaseAttachment):
    """A photo or document on an incident."""

    case_field = "incident"
    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="attachments"
    )

    class Meta(CaseAttachment.Meta):
        verbose_name = _("incident attachment")
        verbose_name_plural = _("incident attachments")


class ResponsePlan(models.Model):
    """The response plan of one type × level, versioned: the version in force on a day is the latest one
    whose effective dates hold that day (REQUIREMENTS §6; 004 ch. 7)."""

    incident_type = models.CharField(_("type"), max_length=30, choices=IncidentType.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective until"), null=True, blank=True)
    information_channel = models.CharField(_("information channel"), max_length=200, blank=True)

    class Meta:
        ordering = ["incident_type", "level", "-version"]
        verbose_name = _("response plan")
        verbose_name_plural = _("response plans")
        constraints = [
            models.UniqueConstraint(fields=["incident_type", "level", "version"], name="emergency_plan_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_incident_type_display()} {self.get_level_display()} v{self.version}"


class PlanItem(models.Model):
    """One checklist item of a plan: what is done, by which role, how long after activation."""

    plan = models.ForeignKey(ResponsePlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="items")
    title = models.CharField(_("title"), max_length=200)
    owner_role = models.CharField(_("owner role"), max_length=30)
    deadline_minutes = models.PositiveIntegerField(_("deadline (minutes after activation)"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["plan", "position", "id"]
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")

    def __str__(self) -> str:
        return self.title


class ChecklistItem(models.Model):
    """A plan item copied into an incident when it was activated (or its level changed): later edits of
    the plan do not change it. Its deadline is an SLA clock the shared sweep warns and escalates."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="checklist"
    )
    title = models.CharField(_("title"), max_length=200)
    owner_role = models.CharField(_("owner role"), max_length=30)
    due_at = models.DateTimeField(_("due at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    plan = models.ForeignKey(ResponsePlan, verbose_name=_("from plan"), on_delete=models.PROTECT, related_name="+")
    level = models.PositiveSmallIntegerField(_("added at level"), choices=Level.choices)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    created_at = models.DateTimeField(_("added at"))

    class Meta:
        ordering = ["incident", "due_at", "id"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")

    def __str__(self) -> str:
        return self.title


class CustomerNotice(models.Model):
    """One message to the affected customers of an incident (``notify-customers``).

    The set of customers is frozen when it is sent (``NoticeRecipient`` rows); the same text sent again
    is the same notice (``digest``), so a retried request neither writes a second notice nor messages
    anyone twice. A drill's notice records whom it would have reached and writes no message.
    """

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="customer_notices"
    )
    message = models.TextField(_("message"))
    digest = models.CharField(_("message digest"), max_length=64)
    drill = models.BooleanField(_("drill (no message sent)"), default=False)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    messages = models.PositiveIntegerField(_("messages written"), default=0)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sent by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("sent at"))

    class Meta:
        ordering = ["incident", "created_at", "id"]
        verbose_name = _("customer notice")
        verbose_name_plural = _("customer notices")
        constraints = [models.UniqueConstraint(fields=["incident", "digest"], name="emergency_notice_once")]

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.message[:40]}"


class NoticeRecipient(models.Model):
    """A customer a notice was meant for: the frozen set, one row per customer and notice."""

    notice = models.ForeignKey(CustomerNotice, on_delete=models.PROTECT, related_name="recipients")
    customer = models.ForeignKey(
        "core.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("notice recipient")
        verbose_name_plural = _("notice recipients")
        constraints = [models.UniqueConstraint(fields=["notice", "customer"], name="emergency_notice_recipient_once")]

    def __str__(self) -> str:
        return f"{self.notice_id}:{self.customer_id}"


# --- paging until acknowledged (REQUIREMENTS §6 "Notification"; DESIGN-SLA.md "Paging chains") ------


class OnCallRota(models.Model):
    """Who is on call for emergencies, as shifts: a paging step names a rota and pages whoever's shift
    covers the moment the step starts."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("on-call rota")
        verbose_name_plural = _("on-call rotas")

    def __str__(self) -> str:
        return self.name


class OnCallShift(models.Model):
    """One person on call from ``starts_at`` until ``ends_at`` (an override is just another shift)."""

    rota = models.ForeignKey(OnCallRota, verbose_name=_("rota"), on_delete=models.CASCADE, related_name="shifts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="+"
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))

    class Meta:
        ordering = ["rota", "starts_at", "id"]
        verbose_name = _("on-call shift")
        verbose_name_plural = _("on-call shifts")
        indexes = [models.Index(fields=["rota", "starts_at", "ends_at"], name="emergency_shift_when_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="emergency_shift_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rota_id}: {self.user_id} {self.starts_at:%Y-%m-%d %H:%M}"


class PagerContact(models.Model):
    """A staff member's 24-hour phone for SMS pages (002 §18: reachable around the clock, several channels)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="pager_contact"
    )
    phone = models.CharField(_("24-hour phone"), max_length=21)

    class Meta:
        verbose_name = _("pager contact")
        verbose_name_plural = _("pager contacts")

    def __str__(self) -> str:
        return str(self.user_id)


class PageChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    IN_APP = "in_app", _("In-app")


def default_page_channels() -> list[str]:
    return [PageChannel.SMS, PageChannel.EMAIL, PageChannel.IN_APP]


class PagingPolicy(models.Model):
    """How one level pages: the chain of steps, how long each waits for an acknowledgement, how often
    the chain repeats before the executives are alarmed, and through which channels."""

    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, unique=True)
    ack_minutes = models.PositiveIntegerField(_("wait for an acknowledgement (minutes)"))
    loops = models.PositiveSmallIntegerField(_("times the chain is run"), default=2)
    channels = models.JSONField(_("channels"), default=default_page_channels)
    page_executives = models.BooleanField(
        _("page senior management at once"),
        default=False,
        help_text=_("Levels I and II: senior management is told at once."),
    )

    class Meta:
        ordering = ["level"]
        verbose_name = _("paging policy")
        verbose_name_plural = _("paging policies")
        constraints = [
            models.CheckConstraint(condition=models.Q(ack_minutes__gt=0, loops__gt=0), name="emergency_paging_positive")
        ]

    def __str__(self) -> str:
        return str(self.get_level_display())


class PagingStep(models.Model):
    """One step of a level's chain: a person, a role group or a rota's on-call people."""

    policy = models.ForeignKey(PagingPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    role = models.CharField(_("role"), max_length=30, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    rota = models.ForeignKey(
        OnCallRota, verbose_name=_("on-call rota"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["policy", "position", "id"]
        verbose_name = _("paging step")
        verbose_name_plural = _("paging steps")
        constraints = [
            # Exactly one target per step.
            models.CheckConstraint(
                condition=(
                    models.Q(role__gt="", user__isnull=True, rota__isnull=True)
                    | models.Q(role="", user__isnull=False, rota__isnull=True)
                    | models.Q(role="", user__isnull=True, rota__isnull=False)
                ),
                name="emergency_step_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy_id}#{self.position}"


class PagingRun(models.Model):
    """One paging chain of an incident, started at activation or a level escalation, until someone
    acknowledges. The policy's chain is snapshot into ``steps`` (later edits do not touch it); the wait
    of the current step is an SLA clock (``page_step``) that the shared sweep finds due and climbs on."""

    class State(models.TextChoices):
        PAGING = "paging", _("Paging")
        EXHAUSTED = "exhausted", _("Executives alarmed, not acknowledged")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CANCELLED = "cancelled", _("Cancelled")

    class Via(models.TextChoices):
        API = "api", _("API")
        LINK = "link", _("Link in the page")
        ADMIN = "admin", _("Admin")

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="paging_runs"
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    steps = models.JSONField(_("chain (snapshot)"), default=list)
    ack_minutes = models.PositiveIntegerField(_("wait (minutes)"))
    loops = models.PositiveSmallIntegerField(_("times the chain is run"))
    channels = models.JSONField(_("channels"), default=default_page_channels)
    page_executives = models.BooleanField(_("senior management paged at once"), default=False)
    state = models.CharField(_("state"), max_length=15, choices=State.choices, default=State.PAGING)
    step = models.PositiveSmallIntegerField(_("current step"), default=0)
    loop = models.PositiveSmallIntegerField(_("current loop"), default=1)
    started_at = models.DateTimeField(_("started at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("acknowledged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged_via = models.CharField(_("acknowledged through"), max_length=10, choices=Via.choices, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        ordering = ["incident", "started_at", "id"]
        verbose_name = _("paging run")
        verbose_name_plural = _("paging runs")

    def __str__(self) -> str:
        return f"{self.incident_id} L{self.level} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.PAGING, self.State.EXHAUSTED)


class Page(models.Model):
    """One page to one person through one channel; ``key`` is the outbox message's idempotency key
    (run × step × loop × recipient × channel), so a re-run sweep writes neither twice."""

    run = models.ForeignKey(PagingRun, verbose_name=_("paging run"), on_delete=models.PROTECT, related_name="pages")
    incident = models.ForeignKey(Incident, verbose_name=_("incident"), on_delete=models.PROTECT, related_name="pages")
    step = models.PositiveSmallIntegerField(_("step"))
    loop = models.PositiveSmallIntegerField(_("loop"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=PageChannel.choices)
    key = models.CharField(_("key"), max_length=150, unique=True)
    sent_at = models.DateTimeField(_("sent at"))
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)

    class Meta:
        ordering = ["incident", "sent_at", "step", "id"]
        verbose_name = _("page")
        verbose_name_plural = _("pages")
        indexes = [models.Index(fields=["incident", "recipient"], name="emergency_page_recipient_idx")]

    def __str__(self) -> str:
        return self.key


class PageAckLink(models.Model):
    """The one-time acknowledge link of a page message: minted when the message is delivered, only the
    token's SHA-256 kept (like tracking links), good once and until ``expires_at``."""

    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    page = models.ForeignKey(Page, verbose_name=_("page"), on_delete=models.PROTECT, related_name="ack_links")
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("acknowledge link")
        verbose_name_plural = _("acknowledge links")

    def __str__(self) -> str:
        return f"{self.page_id} ({'used' if self.used_at else 'live'})"
