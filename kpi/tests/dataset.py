"""A small October 2026 built by hand through the real services, with every answer worked out on paper.

Calendar: Mon–Fri 09:00–18:00 (Asia/Shanghai); Fri 2 Oct a holiday; Sat 10 Oct a make-up working day
(works Friday's hours). Repair / normal policy moved onto that calendar: first response 100 business
minutes, resolution 480 (8 business hours), no on-site clock.

| ticket | created (local)      | first response       | business h | on time | resolution                        |
|--------|----------------------|----------------------|-----------:|---------|-----------------------------------|
| A      | Fri 2 Oct 10:00 hol. | Mon 5 Oct 10:30      | 1.5        | yes     | open; breached Mon 5 Oct 17:00    |
| B      | Fri 9 Oct 17:00      | Sat 10 Oct 10:00 mk. | 1 + 1 = 2  | no      | open; breached Sat 10 Oct 16:00   |
| C      | Mon 12 Oct 09:00     | Mon 12 Oct 09:30     | 0.5        | yes     | see below                         |
| D      | Sat 31 Oct 23:30     | Mon 2 Nov 09:30      | 0.5        | yes     | open, not due in October          |
| E      | Sun 1 Nov 00:10      | Mon 2 Nov 09:10      | 1/6        | yes     | (November)                        |

C (with a unit): parts awaited 11:00–15:00, resolved 17:00 (cycle 1: 8 h − 4 h paused = 4 h); reopened Tue 13 Oct
10:00, worked and resolved again 12:00 (cycle 2: 2 h): time to resolve 6 h, never late, two visits.
A's breach: resolution due 8 business hours after Mon 5 Oct 09:00 = 17:00. B's: Fri 17–18 + Sat 09–16 = 8 h.
B's first response is due after 100 minutes: Fri 17:00–18:00 + Sat 09:00–09:40 (breach at Sat 09:40).
The sweep runs at Sat 31 Oct 23:59, so the October breaches are A-res, B-fr, B-res: 3.

Surveys: C cycle 1 score 2 and cycle 2 score 5 (C's customer: mean 3.5, not satisfied); A's customer 4
(satisfied). CSAT (2 + 5 + 4) / 3; CSI 1 of 2 customers = 50 %.

Complaints: K1 received Mon 5 Oct 09:00, closed Tue 6 Oct 15:00 (30 h); K2 received Thu 8 Oct 10:00, closed
Thu 8 Oct 16:00 (6 h), reopened and closed again Fri 9 Oct 10:00 (24 h in all); K3 a linked duplicate of K1.
Closure cycle mean (30 + 24) / 2 = 27 h.

Incidents: a real one activated 30 min after its report, a drill after 3 h: emergency response 0.5 h.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from aftersales.core.calendars.services import calendar_touch
from aftersales.core.models import BusinessCalendar, CalendarDay
from aftersales.core.sla.sweep import sla_sweep
from complaints.services import complaint_transition
from complaints.tests import factories as complaint_factories
from conftest import shanghai
from emergency.services import incident_create, incident_transition
from tickets.models import SlaPolicy, Survey, Ticket
from tickets.services import ticket_create, ticket_transition
from tickets.tests import factories

DIAGNOSE = {"diagnosis": "compressor relay stuck", "fault_cause": "quality_defect"}
RESOLVE = {"resolution": "relay replaced", "functional_test": "passed"}


@dataclass
class October:
    staff: dict
    tickets: dict[str, Ticket]
    complaints: dict


def business_policy(calendar: BusinessCalendar) -> None:
    CalendarDay.objects.create(calendar=calendar, date=date(2026, 10, 2), kind="holiday", name="国庆节")
    CalendarDay.objects.create(calendar=calendar, date=date(2026, 10, 10), kind="workday", works_as=4, name="调休")
    calendar_touch(calendar=calendar)  # specs are cached per calendar version: this is a new version
    SlaPolicy.objects.update_or_create(
        ticket_type="repair",
        priority="normal",
        customer_tier="",
        defaults={
            "first_response_minutes": 100,
            "on_site_minutes": None,
            "resolution_minutes": 480,
            "calendar": calendar,
        },
    )


def _new(staff, now, *, phone, unit=None) -> Ticket:
    owner = factories.customer(phone=phone)
    if unit:
        unit = factories.unit(serial=unit, owner=owner)
    return ticket_create(
        customer=owner, ticket_type="repair", description="不制冷", unit=unit, actor=staff["agent"], now=now
    ).ticket


def _act(ticket, action, actor, now, **data):
    return ticket_transition(ticket=ticket, action=action, actor=actor, data=data, now=now)


def _work_to_resolve(ticket, staff, day, start, end):
    tech = staff["technician"]
    ticket = _act(ticket, "diagnose", tech, shanghai(*day, start), **DIAGNOSE)
    ticket = _act(ticket, "dispatch", staff["supervisor"], shanghai(*day, start), technician=tech.username)
    ticket = _act(ticket, "start_work", tech, shanghai(*day, start))
    return _act(ticket, "resolve", tech, shanghai(*day, end), **RESOLVE)


def build_tickets(staff) -> dict[str, Ticket]:
    agent, tech = staff["agent"], staff["technician"]
    a = _new(staff, shanghai(2026, 10, 2, 10), phone="13800000001")
    a = _act(a, "acknowledge", agent, shanghai(2026, 10, 5, 10, 30))
    b = _new(staff, shanghai(2026, 10, 9, 17), phone="13800000002")
    b = _act(b, "acknowledge", agent, shanghai(2026, 10, 10, 10))

    c = _new(staff, shanghai(2026, 10, 12, 9), phone="13800000003", unit="KFR35-C")
    c = _act(c, "acknowledge", agent, shanghai(2026, 10, 12, 9, 30))
    c = _act(c, "diagnose", tech, shanghai(2026, 10, 12, 10), **DIAGNOSE)
    c = _act(c, "dispatch", staff["supervisor"], shanghai(2026, 10, 12, 10), technician=tech.username)
    c = _act(c, "start_work", tech, shanghai(2026, 10, 12, 11))
    c = _act(c, "wait_parts", tech, shanghai(2026, 10, 12, 11))
    c = _act(c, "parts_arrived", tech, shanghai(2026, 10, 12, 15))
    c = _act(c, "resolve", tech, shanghai(2026, 10, 12, 17), **RESOLVE)
    c = _act(c, "reopen", agent, shanghai(2026, 10, 13, 10), note="still noisy")
    c = _work_to_resolve(c, staff, (2026, 10, 13), 10, 12)

    d = _new(staff, shanghai(2026, 10, 31, 23, 30), phone="13800000004")
    sla_sweep(now=shanghai(2026, 10, 31, 23, 59))
    e = _new(staff, shanghai(2026, 11, 1, 0, 10), phone="13800000005")
    d = _act(d, "acknowledge", agent, shanghai(2026, 11, 2, 9, 30))
    e = _act(e, "acknowledge", agent, shanghai(2026, 11, 2, 9, 10))

    Survey.objects.filter(ticket=c, cycle=1).update(score=2, answered_at=shanghai(2026, 10, 12, 18))
    Survey.objects.filter(ticket=c, cycle=2).update(score=5, answered_at=shanghai(2026, 10, 14, 9))
    Survey.objects.create(
        ticket=a, cycle=1, sent_at=shanghai(2026, 10, 20, 9), score=4, answered_at=shanghai(2026, 10, 20, 10)
    )
    return {"A": a, "B": b, "C": c, "D": d, "E": e}


def _close(complaint, staff, now):
    return complaint_transition(
        complaint=complaint, action="close", actor=staff["agent"], data={"return_visit": "ok"}, now=now
    )


def _step(complaint, action, staff, now, data=None):
    customer = action == "confirm"
    return complaint_transition(
        complaint=complaint,
        action=action,
        actor=None if customer else staff["supervisor"],
        by_customer=customer,
        data=dict(data or {}),
        now=now,
    )


def build_complaints(staff) -> dict:
    k1 = complaint_factories.complaint_in("investigating", staff=staff, now=shanghai(2026, 10, 5, 9))
    # The same customer, unit and category while K1 is open: linked to it, nobody works it twice.
    k3 = complaint_factories.complaint(owner=k1.customer, now=shanghai(2026, 10, 5, 12), staff=staff)
    k1 = _step(k1, "propose_resolution", staff, shanghai(2026, 10, 6, 9), complaint_factories.PROPOSAL)
    k1 = _step(k1, "confirm", staff, shanghai(2026, 10, 6, 14))
    k1 = _close(k1, staff, shanghai(2026, 10, 6, 15))
    k2 = complaint_factories.complaint_in(
        "confirmed", staff=staff, now=shanghai(2026, 10, 8, 10), owner=factories.customer(phone="13900000002")
    )
    k2 = _close(k2, staff, shanghai(2026, 10, 8, 16))
    k2 = complaint_transition(
        complaint=k2,
        action="reopen",
        actor=staff["agent"],
        data={"note": "fee charged again"},
        now=shanghai(2026, 10, 8, 18),
    )
    k2 = _step(k2, "propose_resolution", staff, shanghai(2026, 10, 9, 9), complaint_factories.PROPOSAL)
    k2 = _step(k2, "confirm", staff, shanghai(2026, 10, 9, 9))
    k2 = _close(k2, staff, shanghai(2026, 10, 9, 10))
    return {"K1": k1, "K2": k2, "K3": k3}


def build_incidents(staff) -> None:
    report = {"incident_type": "system_outage", "title": "Portal down", "description": "502 for everyone"}
    for drill, minutes in ((False, 30), (True, 180)):
        reported_at = shanghai(2026, 10, 20, 10)
        incident = incident_create(actor=staff["coordinator"], data={**report, "drill": drill}, now=reported_at)
        incident = incident_transition(
            incident=incident, action="assess", actor=staff["coordinator"], data={"level": 2}, now=reported_at
        )
        incident_transition(
            incident=incident,
            action="activate",
            actor=staff["coordinator"],
            data=None,
            now=reported_at + timedelta(minutes=minutes),
        )


def october(make_user, business_calendar) -> October:
    business_policy(business_calendar)
    staff = {**factories.staff(make_user), "agent2": make_user("agent")}
    tickets = build_tickets(staff)
    complaints = build_complaints(staff)
    build_incidents(staff)
    return October(staff=staff, tickets=tickets, complaints=complaints)
