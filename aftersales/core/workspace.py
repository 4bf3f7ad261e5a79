"""The staff admin's start page: each person lands on their own work (issue #17).

Each app registers the panels of its kind of work (``panel_register`` in its ``AppConfig.ready``):
an agent's first responses due, a technician's visits today, a supervisor's breaches, a coordinator's
open incidents. A panel is shown to the role groups it names (superusers see every panel); it
counts what is waiting and lists the most urgent few, with a link to the whole list. Each panel
reads with a fixed number of queries (a count and a short list), so the start page costs the same
however much work there is. The core names no kind of case: the panels come from the apps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.urls import NoReverseMatch, reverse

from . import clock
from .models import SlaClock

ROWS_SHOWN = 8  # a panel is a to-do list, not a queue: the whole list is one click away


@dataclass(frozen=True)
class PanelRow:
    """One thing to do: what it is, where to do it, and by when."""

    title: str
    url: str
    detail: str = ""
    due_at: datetime | None = None
    late: bool = False


@dataclass(frozen=True)
class PanelContent:
    count: int
    rows: Sequence[PanelRow]
    more_url: str = ""


@dataclass(frozen=True)
class Panel:
    """``read(user, now)`` gives the panel's content for ``user``; None hides the panel (e.g. the
    user may not see this kind of case at all)."""

    key: str
    title: Any
    roles: frozenset[str]  # empty: every staff member
    read: Callable[..., PanelContent | None]
    order: int = 100
    empty: Any = ""  # what an empty panel says ("No first responses due.")


@dataclass
class ShownPanel:
    panel: Panel
    content: PanelContent
    rows: Sequence[PanelRow] = field(default_factory=list)


_PANELS: dict[str, Panel] = {}


def panel_register(panel: Panel) -> None:
    """Idempotent by key, so a reloaded app does not show a panel twice."""
    _PANELS[panel.key] = panel


def registered_panels() -> list[Panel]:
    return sorted(_PANELS.values(), key=lambda panel: (panel.order, panel.key))


def user_roles(user) -> frozenset[str]:
    """The role groups of ``user`` (one query, cached on the user object for the request)."""
    cached = getattr(user, "_aftersales_role_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._aftersales_role_names = cached
    return cached


def panels_for(user) -> list[Panel]:
    if not (user and user.is_active and user.is_staff):
        return []
    if user.is_superuser:
        return registered_panels()
    roles = user_roles(user)
    return [panel for panel in registered_panels() if not panel.roles or panel.roles & roles]


def workspace_for(user, now: datetime | None = None) -> list[ShownPanel]:
    """The start page of ``user``: their panels with what is waiting in each."""
    now = now or clock.now()
    shown = []
    for panel in panels_for(user):
        content = panel.read(user, now)
        if content is not None:
            shown.append(ShownPanel(panel=panel, content=content, rows=content.rows))
    return shown


# --- helpers for the apps' panels ------------------------------------------------------------


def with_next_due(cases: QuerySet, names: Sequence[str] | None = None) -> QuerySet:
    """``cases`` annotated with ``next_due_at``: the earliest due time of a clock still counting
    (running or breached; a paused clock's due time moves when it resumes), optionally of ``names``."""
    clocks = SlaClock.objects.filter(
        content_type=ContentType.objects.get_for_model(cases.model),
        object_id=OuterRef("pk"),
        state__in=(SlaClock.State.RUNNING, SlaClock.State.BREACHED),
    )
    if names is not None:
        clocks = clocks.filter(name__in=names)
    return cases.annotate(next_due_at=Subquery(clocks.order_by("due_at").values("due_at")[:1]))


def panel_content(cases: QuerySet, row: Callable[[object], PanelRow], more_url: str = "") -> PanelContent:
    """A count and the first ``ROWS_SHOWN`` rows of an ordered queryset: two queries."""
    return PanelContent(count=cases.count(), rows=[row(case) for case in cases[:ROWS_SHOWN]], more_url=more_url)


# --- the queues every kind of case has -------------------------------------------------------


class CaseQueue:
    MINE = "mine"  # open cases the user owns (assignee, owner), by next due time
    UNASSIGNED = "unassigned"  # open cases nobody owns yet
    BREACHED = "breached"  # a work clock is late
    REPLIED = "replied"  # the customer wrote or sent a file last: someone owes them an answer
    WAITING = "waiting"  # just arrived, the first response is due (``waiting_statuses``)


@dataclass(frozen=True)
class CaseQueues:
    """How one kind's cases fill the standard queues (each app declares this once)."""

    spec: Any  # cases.CaseSpec
    owner_field: str
    open_statuses: frozenset[str]
    detail: Callable[[Any], str] = lambda case: ""
    select_related: tuple[str, ...] = ()
    waiting_statuses: frozenset[str] = frozenset()
    unassigned_statuses: frozenset[str] | None = None  # default: every open status
    customer_actions: tuple[str, ...] = ("customer_message", "attachment_added")

    def changelist_url(self, query: str = "") -> str:
        """The kind's admin list (with ``query``), or "" for a kind without one in the admin."""
        opts = self.spec.model._meta
        try:
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        except NoReverseMatch:
            return ""
        return f"{url}?{query}" if query else url

    def cases(self, queue: str, user, now: datetime) -> QuerySet:
        from .admin_cases import breached_condition

        cases = self.spec.people.visible_to(user).filter(status__in=list(self.open_statuses))
        if queue == CaseQueue.MINE:
            cases = cases.filter(**{self.owner_field: user})
        elif queue == CaseQueue.UNASSIGNED:
            statuses = self.unassigned_statuses if self.unassigned_statuses is not None else self.open_statuses
            cases = cases.filter(**{f"{self.owner_field}__isnull": True}, status__in=list(statuses))
        elif queue == CaseQueue.BREACHED:
            cases = cases.filter(breached_condition(self.spec, now))
        elif queue == CaseQueue.REPLIED:
            events = self.spec.event_model._default_manager.filter(**{self.spec.case_field: OuterRef("pk")})
            last = events.order_by("-created_at", "-id")
            cases = cases.annotate(
                last_by_customer=Subquery(last.values("by_customer")[:1]),
                last_action=Subquery(last.values("action")[:1]),
            ).filter(last_by_customer=True, last_action__in=self.customer_actions)
        elif queue == CaseQueue.WAITING:
            cases = cases.filter(status__in=list(self.waiting_statuses))
        work = list(self.spec.clocks.work) if self.spec.clocks is not None else None
        cases = with_next_due(cases.select_related(*self.select_related), work)
        return cases.order_by(F("next_due_at").asc(nulls_last=True), "created_at", "pk")

    def more_url(self, queue: str) -> str:
        if queue in (CaseQueue.MINE, CaseQueue.UNASSIGNED, CaseQueue.BREACHED):
            return self.changelist_url(f"queue={queue}")
        if queue == CaseQueue.WAITING and len(self.waiting_statuses) == 1:
            return self.changelist_url(f"status__exact={next(iter(self.waiting_statuses))}")
        return self.changelist_url()

    def row(self, case, now: datetime) -> PanelRow:
        due = getattr(case, "next_due_at", None)
        return PanelRow(
            title=f"{case.number} · {case.get_status_display()}",
            url=self.spec.staff_url(case),
            detail=self.detail(case),
            due_at=due,
            late=bool(due and due <= now),
        )

    def panel(self, queue: str, *, key: str, title, roles, order: int, empty="") -> Panel:
        def read(user, now):
            if not user.has_perm(f"{self.spec.model._meta.app_label}.view_{self.spec.model._meta.model_name}"):
                return None
            return panel_content(self.cases(queue, user, now), lambda case: self.row(case, now), self.more_url(queue))

        return Panel(key=key, title=title, roles=frozenset(roles), read=read, order=order, empty=empty)


# --- the core's own panel: escalations that reached me ----------------------------------------


def _escalations(user, now: datetime) -> PanelContent:
    """Unread breach notifications to this person: a deadline went late and the ladder reached them."""
    from .inbox import inbox_entries, inbox_messages

    unread = inbox_messages(user).filter(read_at__isnull=True, template="sla_breach")
    entries = inbox_entries(unread[:ROWS_SHOWN])
    rows = [PanelRow(title=entry.subject, url=entry.url or reverse("admin-inbox"), late=True) for entry in entries]
    return PanelContent(count=unread.count(), rows=rows, more_url=reverse("admin-inbox"))


def register_core_panels() -> None:
    from django.utils.translation import gettext_lazy as _

    panel_register(
        Panel(
            key="core.escalations",
            title=_("Escalated to me"),
            roles=frozenset(),
            read=_escalations,
            order=0,
            empty=_("Nothing has been escalated to you."),
        )
    )
