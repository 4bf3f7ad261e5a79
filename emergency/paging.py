"""Paging until acknowledged: the chain of a level, climbed by the shared SLA sweep.

Activating an incident (or escalating its level) snapshots the level's ``PagingPolicy`` into a
``PagingRun`` and pages its first step: ``Page`` rows and outbox messages written with one key per run ×
step × loop × recipient × channel, and a 7×24 clock ``page_step`` due in ``ack_minutes``. When the sweep
records that clock's breach (exactly once: ``ClockEvent``'s unique index), ``on_page_clock_events`` pages
the next step — or the first step again in the next loop, and after the last loop the executives (else
the administrators). A step that finds nobody (an empty rota, a role without members) is recorded as
skipped and the next one is paged at once. Acknowledging (``services.incident_acknowledge``) ends the run
and cancels its clock. Nothing here is a Celery countdown: a killed worker's transaction rolls back and
the next sweep does the same work once (DESIGN-SLA.md "Paging chains").

Each SMS and email page carries a one-time acknowledge link, minted when the message is delivered
(``page_message_context``): the row stores the page's key, never the link; only the token's SHA-256 is
kept (``PageAckLink``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from aftersales.core import clock as wall_clock
from aftersales.core.calendars.services import DEFAULT_24X7_CODE
from aftersales.core.cases import event_append
from aftersales.core.models import BusinessCalendar, SlaClock
from aftersales.core.notifications import EXECUTIVE, escalation_reach, users_in_role
from aftersales.core.outbox.services import Notification, outbox_enqueue_many
from aftersales.core.selectors import clocks_for
from aftersales.core.sla.handling import HandlerBatch, handle_in_batch
from aftersales.core.sla.registry import RecordedClockEvent
from aftersales.core.sla.services import clock_cancel, clock_start
from aftersales.core.tracking import tracking_token_hash, tracking_token_new

from .choices import IncidentType, Level
from .models import Incident, IncidentEvent, OnCallShift, Page, PageAckLink, PageChannel, PagingPolicy, PagingRun

PAGE_CLOCK = "page_step"
PAGE_TEMPLATE = "incident_page"
_OPEN = (PagingRun.State.PAGING, PagingRun.State.EXHAUSTED)
# A link in a page is good for a day: long enough for a night's pages, short enough to be worthless later.
ACK_LINK_TTL = timedelta(hours=24)


def _step_target(step) -> dict:
    if step.user_id:
        return {"user": step.user_id, "label": step.user.get_username()}
    if step.rota_id:
        return {"rota": step.rota_id, "label": step.rota.name}
    return {"role": step.role, "label": step.role}


def _recipients(target: dict, now: datetime) -> list:
    users = get_user_model().objects.filter(is_active=True)
    if "user" in target:
        return list(users.filter(pk=target["user"]))
    if "rota" in target:
        on_call = OnCallShift.objects.filter(rota_id=target["rota"], starts_at__lte=now, ends_at__gt=now)
        return list(users.filter(pk__in=on_call.values("user_id")).order_by("pk"))
    return users_in_role(target["role"])


def _event(incident: Incident, action: str, now: datetime, data: dict, actor=None) -> None:
    event_append(IncidentEvent, incident, action, actor=actor, data=data, now=now)


def page_key(run: PagingRun, step: int, loop: int, user_id: int, channel: str) -> str:
    return f"incident:{run.incident_id}:run:{run.pk}:step:{step}:loop:{loop}:u{user_id}:{channel}"


def _write_pages(run: PagingRun, step: int, loop: int, users: Sequence, now: datetime) -> int:
    """The pages of one step (each person once per channel they can be reached on); how many were new."""
    phones = dict(
        get_user_model()
        .objects.filter(pk__in=[user.pk for user in users], pager_contact__isnull=False)
        .values_list("pk", "pager_contact__phone")
    )
    pages, messages, seen = [], [], set()
    for user in users:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        addresses = {
            PageChannel.SMS: phones.get(user.pk, ""),
            PageChannel.EMAIL: user.email,
            PageChannel.IN_APP: user.get_username(),
        }
        for channel in run.channels:
            address = addresses.get(channel, "")
            if not address:
                continue
            key = page_key(run, step, loop, user.pk, channel)
            pages.append(
                Page(
                    run=run,
                    incident_id=run.incident_id,
                    step=step,
                    loop=loop,
                    recipient=user,
                    channel=channel,
                    key=key,
                    sent_at=now,
                )
            )
            messages.append(
                Notification(
                    key=key,
                    channel=channel,
                    recipient=address,
                    recipient_user_id=user.pk,
                    template=PAGE_TEMPLATE,
                    context={"page": key},
                    language=settings.LANGUAGE_CODE,
                )
            )
    Page.objects.bulk_create(pages, ignore_conflicts=True)
    return outbox_enqueue_many(messages, now=now)


def _always() -> BusinessCalendar:
    return BusinessCalendar.objects.get(code=DEFAULT_24X7_CODE)


def _page_from(run: PagingRun, incident: Incident, step: int, loop: int, now: datetime, actor=None) -> None:
    """Page from ``step`` of ``loop`` on: empty steps are skipped at once; after the last loop, the
    executives (else the administrators) are alarmed and the run waits, exhausted, for an acknowledgement."""
    total = len(run.steps)
    while loop <= run.loops and total:
        while step <= total:
            target = run.steps[step - 1]
            users = _recipients(target, now)
            if step == 1 and loop == 1 and run.page_executives:
                users = users + [user for user in users_in_role(EXECUTIVE) if user not in users]
            if users:
                _write_pages(run, step, loop, users, now)
                run.step, run.loop = step, loop
                run.save(update_fields=["step", "loop"])
                clock_start(
                    subject=run,
                    name=PAGE_CLOCK,
                    target=timedelta(minutes=run.ack_minutes),
                    calendar=_always(),
                    thresholds=(),
                    now=now,
                    actor=actor,
                )
                _event(
                    incident,
                    "page",
                    now,
                    {"run": run.pk, "step": step, "loop": loop, "to": [user.get_username() for user in users]},
                    actor,
                )
                return
            _event(
                incident, "page_skipped", now, {"run": run.pk, "step": step, "loop": loop, "target": target["label"]}
            )
            step += 1
        step, loop = 1, loop + 1
    rung, users = escalation_reach([EXECUTIVE], 0, users_in_role)
    final = total + 1
    _write_pages(run, final, run.loops, users, now)
    run.state, run.step, run.loop = PagingRun.State.EXHAUSTED, final, run.loops
    run.save(update_fields=["state", "step", "loop"])
    _event(
        incident,
        "page_exhausted",
        now,
        {"run": run.pk, "step": final, "to": [user.get_username() for user in users], "rung": rung},
    )


def paging_start(incident: Incident, now: datetime, actor=None) -> PagingRun | None:
    """A new run for the incident's level (replacing an open one); None when the level does not page.

    Called by the activate and escalate_level actions, inside their transaction; the caller holds the
    locks of the incident's clocks, the open runs' clocks and the incident (``services.incident_transition``).
    """
    paging_cancel(incident, now, actor, note="replaced")
    policy = (
        PagingPolicy.objects.prefetch_related("steps__user", "steps__rota").filter(level=incident.level or 0).first()
    )
    if policy is None:
        return None
    run = PagingRun.objects.create(
        incident=incident,
        level=policy.level,
        steps=[_step_target(step) for step in policy.steps.all()],
        ack_minutes=policy.ack_minutes,
        loops=policy.loops,
        channels=list(policy.channels),
        page_executives=policy.page_executives,
        started_at=now,
    )
    # The incident's acknowledgement is that of its current paging.
    Incident.objects.filter(pk=incident.pk).update(acknowledged_at=None)
    incident.acknowledged_at = None
    _page_from(run, incident, 1, 1, now, actor)
    return run


def open_page_clocks(runs) -> list[SlaClock]:
    return [clock for run in runs for clock in clocks_for(run).filter(name=PAGE_CLOCK) if clock.is_open]


def paging_cancel(incident: Incident, now: datetime, actor=None, note: str = "") -> None:
    """End the incident's open runs (closed, stood down, replaced by a new level's): nothing more is paged."""
    runs = list(
        PagingRun.objects.select_for_update(of=("self",)).filter(incident=incident, state__in=_OPEN).order_by("pk")
    )
    # Ended first: cancelling a clock records a breach that fell due meanwhile, and its handler must
    # find the run ended (it pages nobody) rather than climb one more step.
    PagingRun.objects.filter(pk__in=[run.pk for run in runs]).update(state=PagingRun.State.CANCELLED, ended_at=now)
    for clock in open_page_clocks(runs):
        clock_cancel(clock=clock, now=now, actor=actor, note=note)


def open_runs_of(incident_id: int) -> list[int]:
    return list(PagingRun.objects.filter(incident_id=incident_id, state__in=_OPEN).values_list("pk", flat=True))


# --- the sweep: an unacknowledged step climbs --------------------------------------------------------


def on_page_clock_events(events: Sequence[RecordedClockEvent]) -> None:
    breaches = [event for event in events if event.is_breach]
    if breaches:
        handle_in_batch(breaches, PagingRun.objects.select_related("incident"), _climb)


def _climb(run: PagingRun, event: RecordedClockEvent, batch: HandlerBatch) -> None:
    # An acknowledged, cancelled or exhausted run pages nobody more; the breached clock is the sweep's to save.
    if run.state != PagingRun.State.PAGING:
        return
    now = max(event.occurred_at, wall_clock.now())
    _page_from(run, run.incident, run.step + 1, run.loop, now)


# --- the one-time acknowledge link -------------------------------------------------------------------


def ack_url(number: str, token: str) -> str:
    return f"{settings.SITE_URL}/incidents/{number}/acknowledge/{token}/"


def ack_link_mint(page: Page, now: datetime | None = None) -> str:
    """A new live link for a page message being delivered; returns the token, which is kept nowhere."""
    now = now or wall_clock.now()
    token, token_hash = tracking_token_new()
    PageAckLink.objects.create(token_hash=token_hash, page=page, created_at=now, expires_at=now + ACK_LINK_TTL)
    return token


def ack_link_find(token: str, number: str) -> PageAckLink | None:
    """The link with this token on this incident (any state: the caller says why it is refused)."""
    if not token or len(token) > 100:
        return None
    return (
        PageAckLink.objects.select_related("page__incident", "page__recipient", "page__run")
        .filter(token_hash=tracking_token_hash(token), page__incident__number=number)
        .first()
    )


def page_message_context(stored: dict) -> dict:
    """At delivery: what a page says, and its one-time acknowledge link (core.outbox.rendering)."""
    page = Page.objects.select_related("incident").filter(key=stored.get("page", "")).first()
    if page is None:
        return {}
    incident = page.incident
    return {
        "number": incident.number,
        "title": incident.title,
        "incident_type": str(IncidentType(incident.incident_type).label),
        "level": str(Level(incident.level).label) if incident.level else "",
        "drill": incident.drill,
        "step": page.step,
        "loop": page.loop,
        # Signed in, an in-app page is acknowledged on the command page; showing it in the inbox
        # must not mint a live link each time it is read.
        "ack_url": "" if page.channel == PageChannel.IN_APP else ack_url(incident.number, ack_link_mint(page)),
        "url": f"/admin/emergency/incident/{incident.pk}/change/",
        "drill_note": _("This is a drill.") if incident.drill else "",
    }


def was_paged(incident: Incident, user) -> bool:
    return Page.objects.filter(incident=incident, recipient=user).exists()
