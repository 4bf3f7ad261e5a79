"""The incident lifecycle through the services: report, assess, activate … close; levels, clocks, review."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from aftersales.core.cases import ActionNotAllowed, actions_for
from aftersales.core.models import OutboxMessage, SlaClock
from aftersales.core.selectors import clocks_for
from aftersales.core.sla.sweep import sla_sweep
from conftest import shanghai
from emergency.cases import INCIDENTS
from emergency.choices import Status
from emergency.models import IncidentEvent, IncidentReview, IncidentSlaPolicy
from emergency.services import incident_create, incident_transition

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 24, 10)
REPORT = {
    "incident_type": "batch_failure",
    "title": "Compressors failing in lot 2611",
    "description": "Twelve units of model AC-1 report compressor failure within a week.",
    "scope": {"models": ["AC-1"], "serial_from": "AC1-2611-0001", "serial_to": "AC1-2611-0500"},
}
REVIEW = {
    "root_cause": "A supplier changed the capacitor.",
    "lessons": "Incoming inspection must test capacitors.",
    "accountability": "Supplier quality engineer.",
    "customer_follow_up": "Every owner was called back.",
}


def act(incident, action, actor, data=None, now=T0):
    return incident_transition(incident=incident, action=action, actor=actor, data=data, now=now)


def reported(staff, **extra):
    return incident_create(actor=staff["coordinator"], data={**REPORT, **extra}, now=T0)


def states(incident) -> dict:
    return {clock.name: clock.state for clock in clocks_for(incident)}


def test_report_numbers_the_incident_and_logs_it(staff):
    first, second = reported(staff), reported(staff)
    assert first.number.startswith("E20261124") and len(first.number) == 14
    assert int(second.number[-5:]) == int(first.number[-5:]) + 1
    assert (first.status, first.level, first.drill, first.reporter) == (
        Status.REPORTED,
        None,
        False,
        staff["coordinator"],
    )
    assert first.scope == {"models": ["AC-1"], "serial_from": "AC1-2611-0001", "serial_to": "AC1-2611-0500"}
    assert list(IncidentEvent.objects.filter(incident=first).values_list("action", flat=True)) == ["create"]


@pytest.mark.parametrize(
    "bad",
    [
        {"incident_type": "alien_invasion"},
        {"title": ""},
        {"drill": "yes"},
        {"scope": {"planets": ["Mars"]}},
        {"scope": {"models": "AC-1"}},
        {"scope": {"sold_from": "2026-13-01"}},
        {"scope": {"sold_from": "2026-10-01", "sold_to": "2026-09-01"}},
    ],
)
def test_bad_reports_are_refused(staff, bad):
    with pytest.raises(ValidationError):
        reported(staff, **bad)


def test_only_coordinators_report_and_run_incidents(staff):
    for role in ("supervisor", "manager", "technician", "agent"):
        with pytest.raises(PermissionDenied):
            incident_create(actor=staff[role], data=REPORT, now=T0)
    incident = reported(staff)
    for role in ("supervisor", "manager", "technician", "agent"):
        with pytest.raises(PermissionDenied):
            act(incident, "assess", staff[role], {"level": 2})
        assert actions_for(INCIDENTS, incident, staff[role], now=T0) == []
    assert actions_for(INCIDENTS, incident, staff["coordinator"], now=T0) == ["assess", "stand_down"]


def test_the_whole_path_moves_the_clocks_and_closes_after_a_verified_review(staff):
    incident = reported(staff)
    incident = act(incident, "assess", staff["coordinator"], {"level": 2, "commander": staff["coordinator"].username})
    assert (incident.level, incident.commander, incident.status) == (2, staff["coordinator"], Status.ASSESSED)
    due = {clock.name: clock.due_at for clock in clocks_for(incident)}
    assert due == {"respond": T0 + timedelta(hours=2), "initial_handling": T0 + timedelta(hours=24)}

    incident = act(incident, "activate", staff["coordinator"], now=T0 + timedelta(minutes=30))
    assert states(incident)["respond"] == SlaClock.State.MET
    incident = act(incident, "mitigate", staff["coordinator"], now=T0 + timedelta(hours=1))
    incident = act(incident, "recover", staff["coordinator"], now=T0 + timedelta(hours=20))
    assert states(incident)["initial_handling"] == SlaClock.State.MET
    assert incident.recovered_at == T0 + timedelta(hours=20)

    with pytest.raises(ValidationError):
        act(incident, "review", staff["coordinator"], {**REVIEW, "lessons": ""})
    incident = act(incident, "review", staff["coordinator"], REVIEW, now=T0 + timedelta(days=2))
    assert incident.status == Status.REVIEWED
    with pytest.raises(ActionNotAllowed):  # the author cannot verify their own review
        act(incident, "close", staff["coordinator"], now=T0 + timedelta(days=3))
    incident = act(incident, "close", staff["coordinator2"], now=T0 + timedelta(days=3))
    assert (incident.status, incident.closed_at) == (Status.CLOSED, T0 + timedelta(days=3))
    review = IncidentReview.objects.get(incident=incident)
    assert (review.author, review.verified_by) == (staff["coordinator"], staff["coordinator2"])
    actions = list(IncidentEvent.objects.filter(incident=incident).values_list("action", flat=True))
    # Activating level II paged its chain (the empty on-call rota skipped, then the coordinators).
    assert actions == ["create", "assess", "activate", "page_skipped", "page", "mitigate", "recover", "review", "close"]


def test_close_without_a_review_is_a_conflict(staff):
    incident = act(reported(staff), "assess", staff["coordinator"], {"level": 3})
    for action in ("activate", "mitigate", "recover"):
        incident = act(incident, action, staff["coordinator"])
    with pytest.raises(ActionNotAllowed, match=r"review|复盘"):
        act(incident, "close", staff["coordinator2"])
    incident.refresh_from_db()
    assert incident.status == Status.RECOVERED


def test_level_changes_before_recovery_re_count_the_promises(staff):
    IncidentSlaPolicy.objects.filter(level=1).update(respond_minutes=30, initial_handling_minutes=600)
    incident = act(reported(staff), "assess", staff["coordinator"], {"level": 3})
    with pytest.raises(ValidationError):
        act(incident, "escalate_level", staff["coordinator"], {"level": 4})
    incident = act(incident, "escalate_level", staff["coordinator"], {"level": 1}, now=T0 + timedelta(minutes=10))
    assert (incident.level, incident.escalation_level, incident.status) == (1, 1, Status.ASSESSED)
    open_due = {clock.name: clock.due_at for clock in clocks_for(incident) if clock.is_open}
    assert open_due == {
        "respond": T0 + timedelta(minutes=40),
        "initial_handling": T0 + timedelta(minutes=610),
    }
    event = IncidentEvent.objects.filter(incident=incident, action="escalate_level").get()
    assert event.data == {"from_level": 3, "level": 1}
    with pytest.raises(ValidationError):
        act(incident, "downgrade", staff["coordinator"], {"level": 1})
    incident = act(incident, "downgrade", staff["coordinator"], {"level": 2})
    assert incident.level == 2
    for action in ("activate", "mitigate", "recover"):
        incident = act(incident, action, staff["coordinator"])
    with pytest.raises(ActionNotAllowed):
        act(incident, "escalate_level", staff["coordinator"], {"level": 1})


def test_stand_down_needs_a_reason_and_ends_the_promises(staff):
    incident = act(reported(staff), "assess", staff["coordinator"], {"level": 4})
    with pytest.raises(ValidationError):
        act(incident, "stand_down", staff["coordinator"], {"reason": " "})
    incident = act(incident, "stand_down", staff["coordinator"], {"reason": "False alarm: a sensor fault."})
    assert (incident.status, incident.stand_down_reason) == (Status.STOOD_DOWN, "False alarm: a sensor fault.")
    assert set(states(incident).values()) == {SlaClock.State.CANCELLED}
    with pytest.raises(ActionNotAllowed):
        act(incident, "activate", staff["coordinator"])


def test_a_late_response_warns_the_commander_and_a_breach_tells_the_managers_once(staff):
    incident = act(
        reported(staff), "assess", staff["coordinator"], {"level": 1, "commander": staff["coordinator"].username}
    )
    first = sla_sweep(now=T0 + timedelta(minutes=100))
    again = sla_sweep(now=T0 + timedelta(minutes=100))
    assert first.warnings >= 1 and again.warnings == 0
    warned = OutboxMessage.objects.filter(template="sla_warning", channel="in_app")
    assert {message.recipient for message in warned} == {staff["coordinator"].username}
    sla_sweep(now=T0 + timedelta(minutes=130))
    sla_sweep(now=T0 + timedelta(minutes=131))
    breach = OutboxMessage.objects.filter(template="sla_breach", channel="in_app")
    assert sorted(message.recipient for message in breach) == sorted(
        [staff["coordinator"].username, staff["manager"].username]
    )
    incident.refresh_from_db()
    assert incident.status == Status.ASSESSED
