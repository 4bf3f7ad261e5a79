"""Reads of the core models for screens and the API, at a fixed number of queries per page."""

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import Customer, SlaClock
from .phones import normalize_phone
from .privacy import Audience, CustomerPrivacy, can_see_contact, customer_privacy


def customers_visible_to(user) -> QuerySet[Customer]:
    """Least privilege for the customer directory (004 §4.3).

    Service-desk roles (they register customers) see every customer; roles that see only masked
    contact details (managers, coordinators) may too. Someone who may read contact details but not
    manage customers — a technician — sees only the customers of the tickets assigned to them: they
    need a phone number and an address to visit, not the whole directory.
    """
    customers = Customer.objects.all()
    if not (user and user.is_active and user.has_perm("core.view_customer")):
        return customers.none()
    if user.is_superuser or user.has_perm("core.change_customer") or not can_see_contact(user):
        return customers
    return customers.filter(pk__in=Customer.objects.filter(tickets__assignee=user).values("pk"))


def customer_list(*, search: str = "", user=None) -> QuerySet[Customer]:
    """Customers matching ``search``; only those ``user`` may see when a user is given."""
    customers = (customers_visible_to(user) if user is not None else Customer.objects.all()).select_related("region")
    search = search.replace("\x00", "")  # PostgreSQL text cannot hold NUL
    if search:
        # Only the fields this user sees in full (core/privacy.py); nothing else may match.
        condition = customer_privacy(user).search_condition(search) if user is not None else _search_all(search)
        customers = customers.filter(condition) if condition else customers.none()
    return customers.order_by("name", "id")


def _search_all(search: str) -> Q:
    """Internal callers without a user (commands, services) search every field."""
    return CustomerPrivacy(Audience.CONTACT).search_condition(search)


def customer_by_phone(phone: str) -> Customer | None:
    """The customer a request from this number belongs to: the earliest registered with it.

    Numbers are stored normalised, so "138 0013-8000" finds 13800138000. Several people may share a
    number (a family, a small shop); staff can pick another by id.
    """
    phone = normalize_phone(phone)
    if not phone:
        return None
    return Customer.objects.filter(phone=phone).order_by("id").first()


def clocks_for(subject) -> QuerySet[SlaClock]:
    return SlaClock.objects.filter(
        content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk
    ).order_by("name", "cycle")


def clocks_current(clocks: Iterable[SlaClock], *, include_cancelled: bool = False) -> list[SlaClock]:
    """The latest cycle of each clock name, in name order.

    A reopened ticket starts a new cycle of its resolution clock; the earlier cycles are history, not
    promises. Cancelled clocks (a cancelled ticket, or what reopening superseded) promise nothing
    either and are left out unless asked for.
    """
    latest: dict[str, SlaClock] = {}
    for clock in clocks:
        if clock.name not in latest or clock.cycle > latest[clock.name].cycle:
            latest[clock.name] = clock
    return [
        clock for name, clock in sorted(latest.items()) if include_cancelled or clock.state != SlaClock.State.CANCELLED
    ]


def clocks_attach(subjects: Sequence, *, attr: str = "sla_clocks") -> Sequence:
    """Set ``subject.<attr>`` to the current clocks of each subject with one query for the page.

    The clocks hang off a generic foreign key that the subject models do not declare a relation for,
    so ``prefetch_related`` cannot reach them; this does the same job. Works for any model with
    clocks (tickets, complaints, incidents) as long as the page holds one model.
    """
    if not subjects:
        return subjects
    content_type = ContentType.objects.get_for_model(type(subjects[0]))
    by_subject: dict[int, list[SlaClock]] = defaultdict(list)
    for clock in SlaClock.objects.filter(
        content_type=content_type, object_id__in=[subject.pk for subject in subjects]
    ).order_by("object_id", "name", "cycle"):
        by_subject[clock.object_id].append(clock)
    for subject in subjects:
        setattr(subject, attr, clocks_current(by_subject.get(subject.pk, [])))
    return subjects


# --- the staff lists of cases (tickets, complaints) -------------------------------------------


class Queue:
    MINE = "mine"
    UNASSIGNED = "unassigned"
    CHOICES = (MINE, UNASSIGNED)


def case_queue_filter(cases: QuerySet, queue: str, *, user, owner_field: str) -> QuerySet:
    """``mine``: the user's cases; ``unassigned``: those without an owner (``owner_field``)."""
    if queue == Queue.MINE:
        return cases.filter(**{owner_field: user})
    if queue == Queue.UNASSIGNED:
        return cases.filter(**{f"{owner_field}__isnull": True})
    return cases


def case_clock_filter(cases: QuerySet, *, breached: bool | None = None, due_before: datetime | None = None):
    """``breached``: a clock of the case (any cycle) recorded a breach. ``due_before``: a clock still
    counting (running or already breached, not paused — a paused clock's due time moves when it
    resumes) is due before that moment."""
    clocks = SlaClock.objects.filter(
        content_type=ContentType.objects.get_for_model(cases.model), object_id=OuterRef("pk")
    )
    if breached is not None:
        has_breach = Exists(clocks.filter(breached_at__isnull=False))
        cases = cases.filter(has_breach if breached else ~has_breach)
    if due_before is not None:
        counting = (SlaClock.State.RUNNING, SlaClock.State.BREACHED)
        cases = cases.filter(Exists(clocks.filter(state__in=counting, due_at__lt=due_before)))
    return cases


_NUMBER_PREFIX = re.compile(r"[A-Za-z]\d{4,}")


def case_search_condition(search: str, user) -> Q:
    """A case number, a number prefix, a unit serial, or — where the user sees it — a customer's phone."""
    # Exact matches use the unique indexes; a number prefix ("T20261123") lists a day's cases.
    condition = Q(number=search.upper()) | Q(unit__serial__in=[search, search.upper()])
    if _NUMBER_PREFIX.fullmatch(search):
        condition |= Q(number__startswith=search.upper())
    # Searching a masked phone would tell its hidden digits (004 §4.3): the policy decides.
    return condition | customer_privacy(user).search_condition(search, path="customer__", fields=("phone",))
