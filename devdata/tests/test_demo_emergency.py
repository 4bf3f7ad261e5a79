"""The emergency demo: a response plan per incident type, a past incident and a drill, through the services."""

from __future__ import annotations

import io

import pytest

from aftersales.core import roles
from aftersales.core.models import OutboxMessage, SlaClock
from aftersales.core.selectors import clocks_for
from devdata.demo import core as core_demo
from devdata.demo import emergency as demo
from emergency.choices import IncidentType, Status
from emergency.models import ChecklistItem, Incident, IncidentEvent, IncidentReview, PlanItem, ResponsePlan

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (ResponsePlan, PlanItem, Incident, IncidentEvent, IncidentReview, ChecklistItem, SlaClock)
    } | {"outbox": OutboxMessage.objects.count()}


@pytest.fixture
def seeded():
    out = io.StringIO()
    core_demo.seed(out)
    first = io.StringIO()
    demo.seed(first)
    after_first = counts()
    second = io.StringIO()
    demo.seed(second)
    return {"first": first.getvalue(), "second": second.getvalue(), "after_first": after_first}


def test_one_plan_per_incident_type_with_a_realistic_checklist(seeded):
    plans = list(ResponsePlan.objects.prefetch_related("items"))
    assert sorted(plan.incident_type for plan in plans) == sorted(IncidentType.values)
    for plan in plans:
        items = list(plan.items.all())
        assert len(items) >= 3, plan
        assert plan.version == 1 and plan.effective_to is None and plan.information_channel
        # Who does what by when (REQUIREMENTS §6): a staff role, a deadline after activation.
        assert {item.owner_role for item in items} <= set(roles.ROLES), plan
        assert all(0 < item.deadline_minutes <= 3 * 24 * 60 for item in items), plan
        assert [item.position for item in items] == list(range(len(items)))
    batch = next(plan for plan in plans if plan.incident_type == IncidentType.BATCH_FAILURE)
    assert any("暂停销售" in item.title for item in batch.items.all())  # stop sale first (002 §2.2)
    assert any("召回" in item.title for item in batch.items.all())


@pytest.mark.parametrize("drill", [False, True])
def test_the_past_incident_and_the_drill_ran_through_the_services_to_closed(seeded, drill):
    incident = Incident.objects.get(drill=drill)
    assert incident.status == Status.CLOSED
    assert incident.closed_at > incident.recovered_at > incident.activated_at > incident.reported_at
    actions = list(incident.events.order_by("created_at", "pk").values_list("action", flat=True))
    # The paging chain's own events (paged, acknowledged) sit between the steps of the lifecycle.
    assert "acknowledge" in actions or "page_acknowledged" in actions or not incident.level or incident.level == 4
    actions = [action for action in actions if not action.startswith("page") and "acknowledge" not in action]
    items = list(ChecklistItem.objects.filter(incident=incident))
    assert actions == [
        "create",
        "assess",
        "activate",
        "mitigate",
        *["checklist_done"] * len(items),
        "recover",
        "review",
        "close",
    ]
    # The plan in force was copied in at activation, and every item was ticked off in time by its role.
    plan = ResponsePlan.objects.get(incident_type=incident.incident_type, level=incident.level)
    assert {(item.title, item.owner_role) for item in items} == set(plan.items.values_list("title", "owner_role"))
    for item in items:
        assert item.done_at is not None and item.done_at <= item.due_at
        assert item.done_by.groups.filter(name__in=[item.owner_role, roles.COORDINATOR]).exists()
        assert [clock.state for clock in clocks_for(item)] == [SlaClock.State.MET]
    # Its promises were kept; the review was written by one coordinator and verified by another.
    assert {clock.state for clock in clocks_for(incident)} == {SlaClock.State.MET}
    review = incident.post_review
    assert review.verified_by is not None and review.verified_by != review.author
    assert review.verified_by.groups.filter(name=roles.COORDINATOR).exists()
    assert all([review.root_cause, review.lessons, review.accountability, review.customer_follow_up])


def test_seeding_twice_creates_nothing_new(seeded):
    assert counts() == seeded["after_first"]
    assert seeded["after_first"]["Incident"] == 2
    assert "9 response plans (9 new)" in seeded["first"] and "(2 new)" in seeded["first"]
    assert "(0 new)" in seeded["second"]
    # Past notifications are kept as the record, not sent now.
    assert not OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).exists()
