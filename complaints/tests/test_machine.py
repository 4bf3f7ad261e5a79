"""Random lives of complaints (Hypothesis stateful testing) through ``complaint_transition``.

Each run files one complaint, then lets staff of every role and the customer try random actions
with valid or missing fields while time passes and the SLA sweep runs. A small model written here
predicts each outcome from the flow of REQUIREMENTS §5 and the role table of ``test_roles``. After
every step: the status is the predicted one, the events chain from status to status, a refused
action wrote nothing, the clocks match the status (the resolution clock pauses exactly while the
customer considers a proposal), each warning and breach is recorded once, and the escalation level
is the intake level plus one rung per breach.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from aftersales.core.models import ClockEvent, OutboxMessage, SlaClock
from aftersales.core.selectors import clocks_for
from aftersales.core.sla.services import clock_cancel
from aftersales.core.sla.sweep import sla_sweep
from complaints.actions import ACTIONS, REOPEN_WINDOW, ActionNotAllowed
from complaints.choices import ClockName, Status
from complaints.models import BreachReport, Complaint, ComplaintEvent
from complaints.services import complaint_create, complaint_transition
from complaints.sla import ladder_of
from conftest import shanghai

from . import factories
from .factories import PROPOSAL
from .test_roles import ALLOWED

START = shanghai(2026, 11, 24, 10)
LIMIT = 500
REFUSALS = (PermissionDenied, ActionNotAllowed, ValidationError)
ROLES = ["agent", "supervisor", "manager", "technician", "customer"]
# Classifying re-times the promises and is covered by its own tests; everything else is in play.
IN_PLAY = sorted(set(ACTIONS) - {"classify"})
WORK = {ClockName.FIRST_RESPONSE, ClockName.ON_SITE, ClockName.RESOLUTION}
FINISHED = {Status.CONFIRMED, Status.CLOSED, Status.WITHDRAWN}

# The flow, written down independently: action → {from: to}.
OPEN = [Status.RECEIVED, Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.AWAITING_APPROVAL, Status.PROPOSED]
FLOW = {
    "acknowledge": {Status.RECEIVED: Status.ACKNOWLEDGED},
    "assign": {status: status for status in OPEN},
    "investigate": {Status.ACKNOWLEDGED: Status.INVESTIGATING},
    "record_visit": {Status.ACKNOWLEDGED: Status.ACKNOWLEDGED, Status.INVESTIGATING: Status.INVESTIGATING},
    "propose_resolution": {Status.INVESTIGATING: "proposed or awaiting approval"},
    "approve_resolution": {Status.AWAITING_APPROVAL: Status.PROPOSED},
    "reject_resolution": {Status.AWAITING_APPROVAL: Status.INVESTIGATING},
    "confirm": {Status.PROPOSED: Status.CONFIRMED},
    "object": {Status.PROPOSED: Status.INVESTIGATING},
    "contact_attempt": {Status.PROPOSED: Status.PROPOSED},
    "close": {Status.CONFIRMED: Status.CLOSED, Status.PROPOSED: Status.CLOSED},
    "reopen": {Status.CONFIRMED: Status.INVESTIGATING, Status.CLOSED: Status.INVESTIGATING},
    "withdraw": {status: Status.WITHDRAWN for status in OPEN},
    "unlink": {Status.LINKED: Status.RECEIVED},
}
VALID = {
    "assign": {"owner": "agent-in-machine"},
    "withdraw": {"note": "withdrawn by phone"},
    "reject_resolution": {"note": "offer less"},
    "object": {"note": "not enough"},
    "contact_attempt": {"note": "no answer"},
    "close": {"return_visit": "satisfied", "close_reason": "three calls, no answer"},
    "reopen": {"note": "it came back"},
    "unlink": {"note": "a different matter"},
}
NEEDS_FIELDS = set(VALID) | {"propose_resolution"}


class ComplaintLife(RuleBasedStateMachine):
    people: dict = {}
    phones = itertools.count(1)

    @initialize(severity=st.sampled_from(["general", "major", "critical"]), by_customer=st.booleans())
    def file(self, severity, by_customer):
        self.now = START
        self.complaint = complaint_create(
            customer=factories.customer(phone=f"1370{next(self.phones):07d}"),
            category="service.attitude",
            severity=severity,
            description="rude",
            actor=None if by_customer else self.people["agent"],
            now=self.now,
        ).complaint
        self.intake_level = 0 if severity == "general" else 2
        self.status = Status.RECEIVED
        self.successes = 0
        self.attempts = 0
        self.done_at = None
        self.proposer = None

    # --- the model's prediction ---------------------------------------------------------------
    def predict(self, role: str, action: str, data: dict):
        if action not in ALLOWED[role]:
            return PermissionDenied
        if self.status not in FLOW[action]:
            return ActionNotAllowed
        if action == "close" and self.status == Status.PROPOSED and self.attempts < 3:
            return ActionNotAllowed
        if action in NEEDS_FIELDS and not data:
            return ValidationError
        if action == "reopen" and (self.done_at is None or self.now > self.done_at + REOPEN_WINDOW):
            return ActionNotAllowed
        if action == "approve_resolution" and self.proposer == role:
            return ActionNotAllowed
        if action == "propose_resolution":
            large = int(data["compensation_amount"]) > LIMIT
            return Status.AWAITING_APPROVAL if large and role != "manager" else Status.PROPOSED
        return FLOW[action][self.status]

    def footprint(self) -> tuple:
        row = Complaint.objects.filter(pk=self.complaint.pk).values().get()
        row.pop("updated_at")
        clocks = list(clocks_for(self.complaint).values_list("pk", "state", "consumed_seconds", "next_check_at"))
        events = ComplaintEvent.objects.filter(complaint_id=self.complaint.pk).count()
        messages = OutboxMessage.objects.filter(key__startswith=f"complaint:{self.complaint.pk}:").count()
        return row, clocks, events, messages

    # --- rules ----------------------------------------------------------------------------------
    @rule(minutes=st.one_of(st.integers(1, 180), st.integers(180, 4 * 24 * 60), st.just(31 * 24 * 60)))
    def time_passes(self, minutes):
        self.now += timedelta(minutes=minutes)
        sla_sweep(now=self.now)

    @rule(
        role=st.sampled_from(ROLES),
        action=st.sampled_from(IN_PLAY),
        with_fields=st.integers(0, 4),
        amount=st.sampled_from(["100", "800"]),
    )
    def someone_tries(self, role, action, with_fields, amount):
        data = {}
        if with_fields:  # mostly with the fields the action needs
            data = dict(VALID.get(action, {}))
            if action == "propose_resolution":
                data = {**PROPOSAL, "compensation_amount": amount}
        expected = self.predict(role, action, data)
        before = self.footprint()
        actor = None if role == "customer" else self.people[role]
        try:
            complaint = complaint_transition(
                complaint=self.complaint,
                action=action,
                actor=actor,
                by_customer=role == "customer",
                data=data,
                now=self.now,
            )
        except REFUSALS as refusal:
            assert isinstance(expected, type) and isinstance(refusal, expected), (
                f"{role} {action} {data!r} in {self.status}: expected {expected}, got {refusal!r}"
            )
            assert self.footprint() == before, f"refused {action} wrote something"
            return
        assert not isinstance(expected, type), f"{role} {action} in {self.status}: expected {expected}"
        assert complaint.status == expected, f"{action} from {self.status}: {complaint.status} != {expected}"
        self.successes += 1
        self.apply(role, action, expected)
        self.complaint = complaint

    def apply(self, role: str, action: str, target: str) -> None:
        if action == "contact_attempt":
            self.attempts += 1
        if action in ("object", "reopen"):
            self.attempts = 0
        if action == "propose_resolution":
            self.proposer = role
        if action in ("confirm", "close"):
            self.done_at = self.now
        if action == "reopen":
            self.done_at = None
        self.status = target

    # --- invariants -----------------------------------------------------------------------------
    @invariant()
    def consistent(self):
        complaint = Complaint.objects.get(pk=self.complaint.pk)
        assert complaint.status == self.status

        events = list(ComplaintEvent.objects.filter(complaint=complaint, action__in=list(ACTIONS)).order_by("id"))
        assert len(events) == self.successes, "one event per successful action"
        for earlier, later in itertools.pairwise(events):
            assert earlier.to_status == later.from_status, "the events chain from status to status"
        if events:
            assert events[-1].to_status == complaint.status

        clocks = list(clocks_for(complaint))
        work = [clock for clock in clocks if clock.name in WORK]
        open_work = [clock for clock in work if clock.is_open]
        first = [clock for clock in work if clock.name == ClockName.FIRST_RESPONSE]
        assert len(first) == 1
        assert (first[0].state == SlaClock.State.MET) == (complaint.acknowledged_at is not None)
        resolutions = sorted((c for c in work if c.name == ClockName.RESOLUTION), key=lambda c: c.cycle)
        assert [clock.cycle for clock in resolutions] == list(range(1, complaint.reopened_count + 2))
        if complaint.status in FINISHED:
            assert not open_work, f"open clocks once {complaint.status}"
        else:
            current = resolutions[-1]
            assert current.is_open, "an open complaint keeps its resolution promise"
            # Paused exactly while the customer considers a proposal.
            assert (current.state == SlaClock.State.PAUSED) == (complaint.status == Status.PROPOSED)

        recorded = list(
            ClockEvent.objects.filter(clock__in=clocks, kind__in=["warning", "breached"]).values_list(
                "clock_id", "kind", "threshold"
            )
        )
        assert len(recorded) == len(set(recorded)), "each warning and breach recorded once"
        breaches = Counter(kind for _clock, kind, _threshold in recorded)["breached"]
        top = len(ladder_of(complaint)) - 1
        assert complaint.escalation_level == min(self.intake_level + breaches, top), "one rung per breach, to the top"
        assert BreachReport.objects.filter(complaint=complaint).count() == breaches
        keys = list(
            OutboxMessage.objects.filter(key__startswith=f"complaint:{complaint.pk}:clock:").values_list(
                "key", flat=True
            )
        )
        assert len(keys) == len(set(keys))

    def teardown(self):
        # Runs share the test's transaction: leave nothing running for the next run's sweeps.
        if hasattr(self, "complaint"):
            for clock in clocks_for(self.complaint):
                if clock.is_open:
                    clock_cancel(clock=clock, now=self.now)


@pytest.mark.django_db
def test_random_complaint_lives_keep_the_flow_and_the_clocks_consistent(make_user, settings):
    settings.COMPLAINT_COMPENSATION_APPROVAL_LIMIT = LIMIT
    ComplaintLife.people = {
        "agent": make_user("agent", username="agent-in-machine"),
        "supervisor": make_user("supervisor"),
        "manager": make_user("manager"),
        "technician": make_user("technician"),
    }
    make_user(None, superuser=True)  # the executive rung
    run_state_machine_as_test(
        ComplaintLife,
        settings=hypothesis_settings(
            max_examples=int(os.environ.get("COMPLAINT_MACHINE_EXAMPLES", "40")),
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
