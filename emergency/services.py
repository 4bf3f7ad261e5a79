"""Writes of incidents: reporting one and moving it through its lifecycle (the case kit's one skeleton)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from aftersales.core import clock
from aftersales.core.cases import ActionNotAllowed, case_transition, clean_text, event_append, lock_case, lock_dependent
from aftersales.core.cases import actions_for as case_actions_for
from aftersales.core.models import SlaClock
from aftersales.core.numbering import number_next
from aftersales.core.sla.services import clock_cancel

from . import notices, paging
from .actions import RUN, clean_scope
from .cases import INCIDENTS
from .choices import Channel, IncidentType, Status
from .models import ChecklistItem, CustomerNotice, Incident, Page, PageAckLink, PagingRun
from .plans import checklist_clock_stop

T = TypeVar("T")

RUNNING = (Status.ACTIVATED, Status.MITIGATING)


def incident_create(*, actor, data: dict, now: datetime | None = None) -> Incident:
    """Report an incident (CONTRACT.md §4): type, title, description, drill flag, scope, channel."""
    if actor is None or not actor.is_active or not actor.has_perm("emergency.add_incident"):
        raise PermissionDenied("You may not report incidents.")
    now = now or clock.now()
    incident_type = data.get("incident_type")
    if incident_type not in IncidentType.values:
        raise ValidationError({"incident_type": _("Choose a known incident type.")})
    channel = data.get("channel", Channel.PHONE)
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Choose a known channel.")})
    drill = data.get("drill", False)
    if not isinstance(drill, bool):
        raise ValidationError({"drill": _("Say true or false.")})
    title = clean_text(data, "title", required=True, max_length=200)
    description = clean_text(data, "description", required=True)
    scope = clean_scope(data.get("scope"))
    with transaction.atomic():
        incident = Incident.objects.create(
            number=number_next(prefix="E", at=now),
            incident_type=incident_type,
            title=title,
            description=description,
            scope=scope,
            drill=drill,
            channel=channel,
            reporter=actor,
            reported_at=now,
        )
        event_append(
            INCIDENTS,
            incident,
            "create",
            to_status=incident.status,
            actor=actor,
            data={"incident_type": incident_type, "drill": drill},
            now=now,
        )
    return incident


def incident_transition(
    *, incident: Incident, action: str, actor, data: dict | None = None, now: datetime | None = None
) -> Incident:
    """assess, activate, mitigate, recover, review, close, escalate_level, downgrade, stand_down.

    ValidationError → 400, PermissionDenied → 403, ActionNotAllowed → 409 (wrong state, close without review).
    Activating and escalating page the level's chain; ending or recovering ends the paging.
    """
    return _with_paging_locks(
        incident.pk,
        lambda locked: case_transition(INCIDENTS, case=locked, action=action, actor=actor, data=data, now=now),
    )


# --- the lock order with paging runs -----------------------------------------------------------------


class _ClocksMoved(Exception):
    """A sweep started a run's next step clock while we waited for the previous one: lock again."""


def _clock_condition(subjects: Sequence[tuple[type, int]]) -> Q:
    condition = Q()
    for model, pk in subjects:
        condition |= Q(content_type=ContentType.objects.get_for_model(model), object_id=pk)
    return condition


def _with_paging_locks(incident_pk: int, work: Callable[[Incident], T], attempts: int = 3) -> T:
    """Run ``work`` holding the clocks of the incident and of its open paging runs, then the incident
    (the case kit's lock order: clocks → case → dependent rows), in one transaction.

    The sweep climbs a run holding its step clock and creates the next step's clock; a transaction
    that waited for the first then does not hold the second. Rather than lock it late (out of order,
    a deadlock with a sweep holding it), the transaction starts again and locks it first.
    """
    for _attempt in range(attempts):
        try:
            with transaction.atomic():
                subjects: list[tuple[type, int]] = [(Incident, incident_pk)]
                subjects += [(PagingRun, pk) for pk in paging.open_runs_of(incident_pk)]
                locked = set(
                    SlaClock.objects.select_for_update()
                    .filter(_clock_condition(subjects))
                    .order_by("pk")
                    .values_list("pk", flat=True)
                )
                incident = lock_case(Incident, incident_pk, select_related=INCIDENTS.lock_related)
                runs = [(PagingRun, pk) for pk in paging.open_runs_of(incident_pk)]
                now_open = set(
                    SlaClock.objects.filter(_clock_condition(runs) if runs else Q(pk__in=[]))
                    .exclude(state__in=[SlaClock.State.MET, SlaClock.State.CANCELLED])
                    .values_list("pk", flat=True)
                )
                if not now_open <= locked:
                    raise _ClocksMoved()
                return work(incident)
        except _ClocksMoved:
            continue
    raise ActionNotAllowed(_("The incident is changing right now; try again."))


# --- affected customers ------------------------------------------------------------------------------

MAX_NOTICE = 1000  # about six SMS segments
NOTIFIABLE = (Status.ASSESSED, Status.ACTIVATED, Status.MITIGATING, Status.RECOVERED, Status.REVIEWED)


def may_notify_customers(incident: Incident, user) -> bool:
    """The coordinators and the incident's commander."""
    if user is None or not user.is_active:
        return False
    return user.has_perm(RUN) or (incident.commander_id is not None and incident.commander_id == user.pk)


def incident_notify_customers(*, incident: Incident, actor, message, now: datetime | None = None) -> CustomerNotice:
    """Message every customer owning an affected unit, once each (CONTRACT.md §4 ``notify-customers``).

    The same text sent again is the same notice: customers it reached are not messaged again, owners
    added to the scope since are. A drill records whom it would reach and writes no message at all.
    The notice carries ``new_messages`` (written now) for the caller.
    """
    if not may_notify_customers(incident, actor):
        raise PermissionDenied("Only a coordinator or the incident's commander notifies customers.")
    if not isinstance(message, str) or not message.strip():
        raise ValidationError({"message": _("Write the message to the customers.")})
    text = message.strip()
    if len(text) > MAX_NOTICE:
        raise ValidationError({"message": _("At most %(max)d characters.") % {"max": MAX_NOTICE}})
    now = now or clock.now()
    digest = hashlib.sha256(text.encode()).hexdigest()
    with transaction.atomic():
        incident = lock_case(Incident, incident.pk)
        if incident.status not in NOTIFIABLE:
            raise ActionNotAllowed(_("Customers are notified once the incident is assessed and until it is closed."))
        notice = CustomerNotice.objects.filter(incident=incident, digest=digest).first()
        repeat = notice is not None
        if notice is None:
            notice = CustomerNotice.objects.create(
                incident=incident, message=text, digest=digest, drill=incident.drill, sent_by=actor, created_at=now
            )
        notice.incident = incident
        notices.notice_recipients_freeze(notice)
        written = 0 if notice.drill else notices.notice_messages_write(notice)
        customers = notice.recipients.count()
        CustomerNotice.objects.filter(pk=notice.pk).update(customers=customers, messages=F("messages") + written)
        event_append(
            INCIDENTS,
            incident,
            "notify_customers",
            actor=actor,
            note=_("Drill: no message was sent to any customer.") if notice.drill else "",
            data={
                "notice": notice.pk,
                "customers": customers,
                "messages": written,
                "drill": notice.drill,
                "repeat": repeat,
            },
            now=now,
        )
    notice.refresh_from_db()
    notice.new_messages = written  # type: ignore[attr-defined]  # what this call wrote, for the answer
    return notice


# --- acknowledging a page ----------------------------------------------------------------------------


class AckLinkRefused(Exception):
    """An acknowledge link that is unknown (or of another incident), used already or expired."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def may_acknowledge(incident: Incident, user) -> bool:
    """Whoever was paged for the incident, and the coordinators (on someone's behalf)."""
    if user is None or not user.is_active:
        return False
    return user.has_perm(RUN) or paging.was_paged(incident, user)


def _acknowledge(incident: Incident, actor, via: str, now: datetime, note: str = "") -> PagingRun:
    run = (
        PagingRun.objects.select_for_update(of=("self",))
        .filter(incident=incident)
        .order_by("-started_at", "-pk")
        .first()
    )
    if run is None:
        raise ActionNotAllowed(_("Nobody was paged for this incident."))
    if run.state == PagingRun.State.ACKNOWLEDGED:
        return run  # a second acknowledgement changes nothing
    if run.state == PagingRun.State.CANCELLED:
        raise ActionNotAllowed(_("The paging of this incident has ended."))
    run.state, run.acknowledged_at, run.acknowledged_by, run.acknowledged_via = (
        PagingRun.State.ACKNOWLEDGED,
        now,
        actor,
        via,
    )
    run.ended_at = now
    run.save(update_fields=["state", "acknowledged_at", "acknowledged_by", "acknowledged_via", "ended_at"])
    # After the run is saved acknowledged: a breach the cancel records late then climbs nowhere.
    for page_clock in paging.open_page_clocks([run]):
        clock_cancel(clock=page_clock, now=now, actor=actor, note="acknowledged")
    Page.objects.filter(run=run, recipient=actor, acknowledged_at__isnull=True).update(acknowledged_at=now)
    Incident.objects.filter(pk=incident.pk).update(acknowledged_at=now)
    event_append(
        INCIDENTS,
        incident,
        "acknowledge",
        actor=actor,
        note=note,
        data={"run": run.pk, "step": run.step, "loop": run.loop, "via": via, "level": run.level},
        now=now,
    )
    return run


def incident_acknowledge(
    *, incident: Incident, actor, via: str = PagingRun.Via.API, note: str = "", now: datetime | None = None
) -> PagingRun:
    """The paged person (or a coordinator) acknowledges: the chain stops and who, when and how is kept.

    PermissionDenied (403) for someone never paged without the coordinator's right; ActionNotAllowed
    (409) when nothing was paged or the paging has ended; the same person again changes nothing.
    """
    if not may_acknowledge(incident, actor):
        raise PermissionDenied("You were not paged for this incident.")
    now = now or clock.now()
    return _with_paging_locks(incident.pk, lambda locked: _acknowledge(locked, actor, via, now, (note or "").strip()))


def ack_link_check(*, number: str, token: str, now: datetime | None = None) -> PageAckLink:
    """The live link (for the confirm page); ``AckLinkRefused`` otherwise."""
    now = now or clock.now()
    link = paging.ack_link_find(token, number)
    if link is None:
        raise AckLinkRefused("unknown")
    if link.used_at is not None:
        raise AckLinkRefused("used")
    if link.expires_at <= now:
        raise AckLinkRefused("expired")
    return link


def incident_acknowledge_by_link(*, number: str, token: str, now: datetime | None = None) -> PagingRun:
    """The one-time link of a page acknowledges as the person it was sent to, without a login; once."""
    now = now or clock.now()
    link = ack_link_check(number=number, token=token, now=now)
    page = link.page

    def work(incident: Incident) -> PagingRun:
        if not PageAckLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now):
            raise AckLinkRefused("used")
        return _acknowledge(incident, page.recipient, PagingRun.Via.LINK, now)

    return _with_paging_locks(page.incident_id, work)


def may_do_item(item: ChecklistItem, user) -> bool:
    """The coordinators, and the staff of the item's owner role (a technician ticks off their own tasks)."""
    if user is None or not user.is_active:
        return False
    return user.has_perm(RUN) or user.groups.filter(name=item.owner_role).exists()


def checklist_item_done(*, item: ChecklistItem, actor, note: str = "", now: datetime | None = None) -> ChecklistItem:
    """Tick off a checklist item of a running incident: its deadline clock stops (met or late)."""
    now = now or clock.now()
    with transaction.atomic():
        incident = lock_case(Incident, item.incident_id, also_clocks_of=[(ChecklistItem, item.pk)])
        item = lock_dependent(ChecklistItem.objects.all(), item.pk)
        if not may_do_item(item, actor):
            raise PermissionDenied("You may not tick off this item.")
        if incident.status not in RUNNING or item.done_at is not None:
            raise ActionNotAllowed(_("Only an open item of a running incident can be ticked off."))
        item.done_at, item.done_by = now, actor
        item.save(update_fields=["done_at", "done_by"])
        checklist_clock_stop(item, now, actor)
        event_append(
            INCIDENTS,
            incident,
            "checklist_done",
            actor=actor,
            note=(note or "").strip(),
            data={"item": item.pk, "title": item.title, "late": now > item.due_at},
            now=now,
        )
    return item


def actions_for(incident: Incident, user) -> list[str]:
    """The action names this user may perform on the incident right now (the API's ``actions``)."""
    return case_actions_for(INCIDENTS, incident, user)
