"""Reads of the tickets app for screens and the API, at a fixed number of queries per page.

Who sees which tickets lives here too (``tickets_visible_to``), so the API, the admin and the
portal apply one rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from aftersales.core.models import SlaClock
from aftersales.core.numbering import is_number_of
from aftersales.core.selectors import (
    Queue,  # noqa: F401 (re-exported)
    case_clock_filter,
    case_queue_filter,
    case_search_condition,
    clocks_attach,
    customer_by_phone,  # noqa: F401 (re-exported)
)

from .choices import OPEN_STATUSES, Status
from .models import Technician, Ticket, TicketEvent

# --- who sees which tickets -------------------------------------------------------------------

# Handling the queue (answering, dispatching) needs the whole queue; so does watching it without
# working on it (managers, emergency coordinators). Someone who works tickets but neither answers
# nor dispatches them — a technician — sees only the tickets assigned to them (least privilege).
_QUEUE_PERMISSIONS = ("tickets.respond_ticket", "tickets.dispatch_ticket")


def sees_all_tickets(user) -> bool:
    if not (user and user.is_active and user.has_perm("tickets.view_ticket")):
        return False
    if user.is_superuser or any(user.has_perm(permission) for permission in _QUEUE_PERMISSIONS):
        return True
    return not user.has_perm("tickets.work_ticket")


def tickets_visible_to(user) -> QuerySet[Ticket]:
    """Every ticket for queue roles, none without ``view_ticket``; technicians see their own tickets
    and the unassigned ones waiting for a diagnosis (they diagnose before a visit is dispatched)."""
    tickets = Ticket.objects.all()
    if not (user and user.is_active and user.has_perm("tickets.view_ticket")):
        return tickets.none()
    if sees_all_tickets(user):
        return tickets
    diagnosis_pool = Q(assignee__isnull=True, status__in=[Status.ACKNOWLEDGED, Status.DIAGNOSING])
    return tickets.filter(Q(assignee=user) | diagnosis_pool)


# --- the staff list ---------------------------------------------------------------------------


def ticket_list_for_staff(
    *,
    user,
    statuses: Sequence[str] = (),
    ticket_type: str = "",
    priority: str = "",
    assignee: str = "",
    breached: bool | None = None,
    due_before: datetime | None = None,
    search: str = "",
    queue: str = "",
) -> QuerySet[Ticket]:
    """The tickets this user may see, filtered as CONTRACT.md §4 lists, newest first.

    ``breached``: a clock of the ticket (any cycle) recorded a breach. ``due_before``: a clock that
    is still counting (running or already breached, not paused — a paused clock's due time moves
    when it resumes) is due before that moment. ``search`` matches the ticket number, the unit's
    serial and — only for staff allowed to see contact details — the customer's phone number.
    Call ``tickets_attach_sla`` on the page to fill ``sla_clocks`` with one more query.
    """
    tickets = tickets_visible_to(user).select_related(
        "customer__region",
        "unit__product_model__category",
        "assignee",
        "region",
        "entitlement",
        "quote",
    )
    if statuses:
        tickets = tickets.filter(status__in=list(statuses))
    if ticket_type:
        tickets = tickets.filter(ticket_type=ticket_type)
    if priority:
        tickets = tickets.filter(priority=priority)
    if assignee:
        tickets = tickets.filter(assignee__username=assignee)
    tickets = case_queue_filter(tickets, queue, user=user, owner_field="assignee")
    tickets = case_clock_filter(tickets, breached=breached, due_before=due_before)
    if search := search.strip():
        tickets = tickets.filter(case_search_condition(search, user))
    return tickets.order_by("-created_at", "-id")


def ticket_for_staff(*, user, number: str) -> Ticket | None:
    """One ticket by number, if this user may see it (a technician asking for another's gets None)."""
    return ticket_list_for_staff(user=user).prefetch_related("parts").filter(number=number).first()


# --- SLA clocks of a page of tickets ----------------------------------------------------------


def tickets_attach_sla(tickets: Sequence[Ticket]) -> Sequence[Ticket]:
    return clocks_attach(tickets)


def ticket_sla_clocks(ticket: Ticket) -> list[SlaClock]:
    """The current clocks of one ticket: attached by ``tickets_attach_sla`` or read now."""
    if not hasattr(ticket, "sla_clocks"):
        clocks_attach([ticket])
    return ticket.sla_clocks  # type: ignore[attr-defined]  # set by clocks_attach


def ticket_events(*, ticket: Ticket) -> QuerySet[TicketEvent]:
    """The whole timeline for staff, internal notes included."""
    return TicketEvent.objects.filter(ticket=ticket).select_related("actor").order_by("created_at", "id")


def is_ticket_number(value: str) -> bool:
    """Whether ``value`` is shaped like a ticket number (T2026112300042), for forms of other kinds."""
    return is_number_of(value.strip().upper(), prefix=Ticket.NUMBER_PREFIX)


def ticket_of_customer(*, number: str, customer) -> Ticket | None:
    """The customer's own ticket with this number, or None (nobody links themselves to another's case)."""
    return Ticket.objects.filter(number=number.upper(), customer=customer).first()


def tickets_by_numbers(numbers) -> list[Ticket]:
    """The tickets with these numbers (other apps link tickets by number: complaints)."""
    return list(Ticket.objects.filter(number__in=[str(number).upper() for number in numbers]))


# --- dispatch suggestions ----------------------------------------------------------------------


@dataclass(frozen=True)
class DispatchCandidate:
    technician: Technician
    skill_match: bool | None  # None: the ticket has no registered unit, so no category to match
    same_region: bool | None  # None: the ticket has no region
    open_tickets: int  # open tickets assigned to them, this one not counted
    is_current_assignee: bool
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ExcludedTechnician:
    technician: Technician
    reasons: list[str]


@dataclass(frozen=True)
class DispatchSuggestion:
    candidates: list[DispatchCandidate]
    excluded: list[ExcludedTechnician]


def _certification_gaps(technician: Technician) -> list[str]:
    # Only a technician who passed training may be assigned (001 三(二)1; pass lines 004 §5.3).
    gaps = []
    if technician.certified_on is None:
        gaps.append(_("Not certified yet"))
    lines = (
        (_("knowledge"), technician.knowledge_score, Technician.PASS_KNOWLEDGE),
        (_("skill"), technician.skill_score, Technician.PASS_SKILL),
        (_("behaviour"), technician.behaviour_score, Technician.PASS_BEHAVIOUR),
    )
    for label, score, pass_line in lines:
        if score < pass_line:
            gaps.append(
                _("%(line)s score %(score)d is below the pass line %(pass_line)d")
                % {"line": label, "score": score, "pass_line": pass_line}
            )
    return gaps


def dispatch_candidates(ticket: Ticket) -> DispatchSuggestion:
    """Who could take the ticket, best first: skill for the product, same region, lightest load.

    Uncertified technicians are never candidates; they are listed apart with what they lack, so a
    supervisor short of people sees why. Three queries whatever the team size.
    """
    category = ticket.unit.product_model.category if ticket.unit is not None else None
    technicians = (
        Technician.objects.filter(is_active=True, user__is_active=True)
        .select_related("user", "region")
        .prefetch_related("skills")
        .annotate(
            open_tickets=Count(
                "user__assigned_tickets", filter=Q(user__assigned_tickets__status__in=list(OPEN_STATUSES))
            )
        )
    )
    candidates, excluded = [], []
    for technician in technicians:
        if not technician.is_certified:
            excluded.append(ExcludedTechnician(technician=technician, reasons=_certification_gaps(technician)))
            continue
        reasons = []
        skill_match = None
        if category is not None:
            skill_match = any(skill.pk == category.pk for skill in technician.skills.all())
            reasons.append(
                (_("Skilled in %(category)s") if skill_match else _("No recorded skill in %(category)s"))
                % {"category": category.name}
            )
        else:
            reasons.append(_("No registered unit: skills not compared"))
        same_region = None
        if ticket.region is not None:
            same_region = technician.region_id == ticket.region_id
            if same_region:
                reasons.append(_("Same region (%(region)s)") % {"region": ticket.region.name})
            else:
                where = technician.region.name if technician.region else _("no region")
                reasons.append(_("Other region (%(region)s)") % {"region": where})
        is_current = ticket.assignee_id == technician.user_id
        # The load is the work besides this ticket, so re-dispatching does not count it against its holder.
        load = technician.open_tickets - (1 if is_current and ticket.status in OPEN_STATUSES else 0)
        reasons.append(
            (
                ngettext("%(count)d other open ticket", "%(count)d other open tickets", load)
                if is_current
                else ngettext("%(count)d open ticket", "%(count)d open tickets", load)
            )
            % {"count": load}
        )
        if is_current:
            reasons.append(_("Currently assigned to this ticket"))
        candidates.append(
            DispatchCandidate(
                technician=technician,
                skill_match=skill_match,
                same_region=same_region,
                open_tickets=load,
                is_current_assignee=is_current,
                reasons=reasons,
            )
        )
    candidates.sort(
        key=lambda candidate: (
            not candidate.skill_match,
            not candidate.same_region,
            candidate.open_tickets,
            candidate.technician.user.username,
        )
    )
    return DispatchSuggestion(candidates=candidates, excluded=excluded)
