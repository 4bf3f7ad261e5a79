"""Response plans: the version in force, the snapshot at activation, level changes, checklist clocks."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from aftersales.core.cases import ActionNotAllowed
from aftersales.core.models import OutboxMessage, SlaClock
from aftersales.core.selectors import clocks_for
from aftersales.core.sla.sweep import sla_sweep
from conftest import shanghai
from emergency.models import ChecklistItem, IncidentEvent, PlanItem, ResponsePlan
from emergency.plans import plan_in_force
from emergency.services import checklist_item_done, incident_create, incident_transition

from .test_lifecycle import REPORT

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 24, 10)


def plan(level, version, items, *, since=date(2026, 1, 1), until=None, incident_type="batch_failure"):
    row = ResponsePlan.objects.create(
        incident_type=incident_type,
        level=level,
        version=version,
        title=f"Batch failure L{level} v{version}",
        effective_from=since,
        effective_to=until,
    )
    for position, (title, role, minutes) in enumerate(items):
        PlanItem.objects.create(plan=row, title=title, owner_role=role, deadline_minutes=minutes, position=position)
    return row


LEVEL_3 = [("Stop shipping the lot", "coordinator", 60), ("Inspect returned units", "technician", 240)]
LEVEL_1 = [
    ("Stop shipping the lot", "coordinator", 30),
    ("Inform the executive", "manager", 15),
    ("Prepare a recall notice", "coordinator", 720),
]


def act(incident, action, actor, data=None, now=T0):
    return incident_transition(incident=incident, action=action, actor=actor, data=data, now=now)


def activated(staff, level=3, now=T0):
    incident = incident_create(actor=staff["coordinator"], data=REPORT, now=now)
    incident = act(incident, "assess", staff["coordinator"], {"level": level}, now=now)
    return act(incident, "activate", staff["coordinator"], now=now)


def checklist(incident) -> list[tuple[str, str, object]]:
    return [(item.title, item.owner_role, item.due_at) for item in ChecklistItem.objects.filter(incident=incident)]


def test_the_version_in_force_is_the_latest_whose_dates_hold():
    old = plan(3, 1, LEVEL_3, since=date(2025, 1, 1), until=date(2026, 6, 30))
    current = plan(3, 2, LEVEL_3, since=date(2026, 7, 1))
    plan(3, 3, LEVEL_3, since=date(2027, 1, 1))  # not yet in force
    assert plan_in_force("batch_failure", 3, shanghai(2026, 3, 1, 9)) == old
    assert plan_in_force("batch_failure", 3, T0) == current
    assert plan_in_force("batch_failure", 2, T0) is None
    assert plan_in_force("system_outage", 3, T0) is None


def test_activation_snapshots_the_plan_of_the_level_and_later_edits_do_not_change_it(staff):
    plan(1, 1, LEVEL_1)
    level_3 = plan(3, 1, LEVEL_3)
    incident = activated(staff, level=3)
    assert checklist(incident) == [
        ("Stop shipping the lot", "coordinator", T0 + timedelta(minutes=60)),
        ("Inspect returned units", "technician", T0 + timedelta(minutes=240)),
    ]
    level_3.items.filter(title="Stop shipping the lot").update(deadline_minutes=5, title="Changed")
    PlanItem.objects.create(plan=level_3, title="Added later", owner_role="coordinator", deadline_minutes=10)
    assert checklist(incident)[0] == ("Stop shipping the lot", "coordinator", T0 + timedelta(minutes=60))
    assert len(checklist(incident)) == 2


def test_a_level_change_adds_only_the_differing_items(staff):
    plan(1, 1, LEVEL_1)
    plan(3, 1, LEVEL_3)
    incident = activated(staff, level=3)
    later = T0 + timedelta(hours=1)
    act(incident, "escalate_level", staff["coordinator"], {"level": 1}, now=later)
    assert checklist(incident) == [
        ("Stop shipping the lot", "coordinator", T0 + timedelta(minutes=60)),  # kept as it was
        ("Inform the executive", "manager", later + timedelta(minutes=15)),
        ("Inspect returned units", "technician", T0 + timedelta(minutes=240)),
        ("Prepare a recall notice", "coordinator", later + timedelta(minutes=720)),
    ]


def test_assessing_does_not_snapshot_and_no_plan_means_an_empty_checklist(staff):
    plan(1, 1, LEVEL_1)
    incident = incident_create(actor=staff["coordinator"], data=REPORT, now=T0)
    incident = act(incident, "assess", staff["coordinator"], {"level": 3})
    act(incident, "escalate_level", staff["coordinator"], {"level": 1})
    assert checklist(incident) == []
    assert checklist(activated(staff, level=2)) == []


def test_items_are_ticked_off_by_their_role_or_a_coordinator(staff):
    plan(3, 1, LEVEL_3)
    incident = activated(staff, level=3)
    stop, inspect = ChecklistItem.objects.filter(incident=incident)
    with pytest.raises(PermissionDenied):
        checklist_item_done(item=stop, actor=staff["technician"], now=T0 + timedelta(minutes=5))
    item = checklist_item_done(item=inspect, actor=staff["technician"], now=T0 + timedelta(minutes=300))
    assert (item.done_by, item.done_at) == (staff["technician"], T0 + timedelta(minutes=300))
    late = [(clock.state, clock.breached_at) for clock in clocks_for(item)]
    assert late == [(SlaClock.State.MET, T0 + timedelta(minutes=240))]  # met late: the breach stays
    with pytest.raises(ActionNotAllowed):
        checklist_item_done(item=inspect, actor=staff["coordinator"])
    item = checklist_item_done(item=stop, actor=staff["coordinator"], now=T0 + timedelta(minutes=30))
    assert [(clock.state, clock.breached_at) for clock in clocks_for(item)] == [(SlaClock.State.MET, None)]
    event = IncidentEvent.objects.get(incident=incident, action="checklist_done", data__item=inspect.pk)
    assert event.data == {"item": inspect.pk, "title": "Inspect returned units", "late": True}


def test_the_sweep_warns_the_owner_role_and_escalates_a_late_item_once(staff):
    plan(3, 1, [("Inspect returned units", "technician", 100)])
    incident = activated(staff, level=3)
    sla_sweep(now=T0 + timedelta(minutes=90))
    sla_sweep(now=T0 + timedelta(minutes=90))
    warned = OutboxMessage.objects.filter(
        template="sla_warning", channel="in_app", key__startswith="incident-checklist"
    )
    assert {message.recipient for message in warned} == {staff["technician"].username}
    sla_sweep(now=T0 + timedelta(minutes=101))
    sla_sweep(now=T0 + timedelta(minutes=102))
    breach = OutboxMessage.objects.filter(template="sla_breach", channel="in_app", key__startswith="incident-checklist")
    assert sorted(message.recipient for message in breach) == sorted(
        [staff["technician"].username, staff["manager"].username]
    )
    assert ChecklistItem.objects.get(incident=incident).escalation_level == 1


def test_closing_or_standing_down_cancels_the_open_item_clocks(staff):
    plan(3, 1, LEVEL_3)
    incident = activated(staff, level=3)
    act(incident, "stand_down", staff["coordinator"], {"reason": "Sensor fault, no real failure."})
    states = {clock.state for item in ChecklistItem.objects.filter(incident=incident) for clock in clocks_for(item)}
    assert states == {SlaClock.State.CANCELLED}
