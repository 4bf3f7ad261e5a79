"""A breach always reaches a person: an empty rung falls through to the next one up with members,
past the top to the administrators; the level stops at the top; nobody at all is an alarm."""

import pytest
from django.contrib.auth.models import Group

from aftersales.core.models import ClockEvent, OutboxMessage, UnreachedBreach
from aftersales.core.notifications import ADMIN_GROUP
from aftersales.core.selectors import clocks_for
from aftersales.core.sla.services import unreached_breach_acknowledge
from aftersales.core.sla.sweep import sla_sweep
from conftest import shanghai
from tickets.choices import ClockName, Status
from tickets.models import Ticket

from . import factories

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 23, 10)
LADDER = ["assignee", "supervisor", "manager", "executive"]


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


def breach_first_response(ticket: Ticket, *, level: int) -> set[int]:
    """The unassigned ticket at ``level`` breaches its first response once; who was told (user ids)."""
    Ticket.objects.filter(pk=ticket.pk).update(escalation_level=level)
    clock = next(clock for clock in clocks_for(ticket) if clock.name == ClockName.FIRST_RESPONSE)
    result = sla_sweep(now=clock.due_at)
    assert result.breaches == 1
    assert ClockEvent.objects.filter(clock=clock, kind=ClockEvent.Kind.BREACHED).count() == 1
    told = OutboxMessage.objects.filter(template="sla_breach", channel="in_app", key__contains=f":clock:{clock.pk}:")
    return set(told.values_list("recipient_user", flat=True))


def leave(user) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])


def test_each_rung_reaches_its_own_members(staff, make_user):
    executive = make_user(None, superuser=True)
    for level, expected in ((0, staff["supervisor"]), (1, staff["manager"]), (2, executive)):
        ticket = factories.ticket_in(Status.NEW, staff=staff, now=T0)
        assert breach_first_response(ticket, level=level) == {expected.pk}
        ticket.refresh_from_db()
        assert ticket.escalation_level == level + 1
    assert not UnreachedBreach.objects.exists()


@pytest.mark.parametrize(
    ("empty_rung", "reached"),
    [("supervisor", "manager"), ("manager", "executive"), ("executive", "administrator")],
)
def test_an_empty_rung_falls_through_to_the_next_rung_up_with_members(staff, make_user, empty_rung, reached):
    people = {
        "supervisor": [staff["supervisor"]],
        "manager": [staff["manager"]],
        "executive": [make_user(None, superuser=True)],
    }
    administrator = make_user(None)
    administrator.groups.add(Group.objects.get_or_create(name=ADMIN_GROUP)[0])
    people["administrator"] = [administrator]
    for user in people[empty_rung]:
        leave(user)
    if empty_rung == "executive":
        people["executive"] = []
    ticket = factories.ticket_in(Status.NEW, staff=staff, now=T0)

    told = breach_first_response(ticket, level=LADDER.index(empty_rung) - 1)

    # With an executive on the ladder the administrators' group is reached only past it.
    assert told == {user.pk for user in people[reached]}
    ticket.refresh_from_db()
    assert ticket.escalation_level == LADDER.index(empty_rung)  # the level is the rung climbed to
    assert not UnreachedBreach.objects.exists()


def test_every_rung_above_empty_reaches_the_administrators(staff, make_user):
    for role in ("supervisor", "manager"):
        leave(staff[role])
    administrator = make_user(None)
    administrator.groups.add(Group.objects.get_or_create(name=ADMIN_GROUP)[0])
    ticket = factories.ticket_in(Status.NEW, staff=staff, now=T0)

    assert breach_first_response(ticket, level=0) == {administrator.pk}


def test_the_level_stops_at_the_top_and_a_further_breach_tells_the_top_again(staff, make_user):
    executive = make_user(None, superuser=True)
    ticket = factories.ticket_in(Status.NEW, staff=staff, now=T0)

    assert breach_first_response(ticket, level=len(LADDER) - 1) == {executive.pk}

    ticket.refresh_from_db()
    assert ticket.escalation_level == len(LADDER) - 1


def test_a_breach_that_reaches_nobody_is_an_alarm_on_healthz_and_in_the_admin(staff, make_user, client, settings):
    # The ticket lives at a fixed moment in the past: to the wall clock its other clocks and messages
    # look late, which /healthz reports separately (aftersales/core/tests/test_ops.py).
    settings.HEALTH_SWEEP_LAG_SECONDS = settings.HEALTH_OUTBOX_WAIT_SECONDS = 10**9
    for role in ("supervisor", "manager"):
        leave(staff[role])
    ticket = factories.ticket_in(Status.NEW, staff=staff, now=T0)

    assert breach_first_response(ticket, level=0) == set()

    alarm = UnreachedBreach.objects.get()
    assert (alarm.clock.object_id, alarm.rung, alarm.escalation_level) == (ticket.pk, "supervisor", 1)
    health = client.get("/healthz")
    assert health.status_code == 200  # degraded, not down: the process still serves
    assert health.json()["status"] == "degraded" and health.json()["unreached_breaches"] == 1
    assert health.json()["reasons"] == ["unreached_breaches"]
    assert health.json()["database"] == "ok" and health.json()["broker"] == "ok"

    administrator = make_user(None, superuser=True)
    client.force_login(administrator)
    page = client.get("/admin/core/unreachedbreach/")
    assert page.status_code == 200 and f"#{ticket.pk}" in page.content.decode()
    response = client.post(
        "/admin/core/unreachedbreach/", {"action": "acknowledge", "_selected_action": [alarm.pk]}, follow=True
    )
    assert response.status_code == 200
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == administrator and alarm.acknowledged_at is not None
    assert client.get("/healthz").json()["status"] == "ok"


def test_only_who_may_acknowledges_an_alarm(staff):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        unreached_breach_acknowledge(actor=staff["agent"], breach_ids=[])
    assert unreached_breach_acknowledge(actor=staff["manager"], breach_ids=[]) == 0


# --- the message row keeps ids; its text is rendered at delivery ------------------------------------


def test_a_breach_message_stores_ids_and_is_rendered_with_labels_in_the_recipients_language(staff, make_user):
    from aftersales.core.outbox.rendering import render_message

    make_user(None, superuser=True)
    ticket = factories.ticket_in(Status.NEW, staff=staff, now=T0)
    breach_first_response(ticket, level=0)
    clock = next(clock for clock in clocks_for(ticket) if clock.name == ClockName.FIRST_RESPONSE)
    message = OutboxMessage.objects.get(template="sla_breach", recipient_user=staff["supervisor"])

    # No label is built in the sweep: only what the text is made from.
    assert message.context == {
        "clock": clock.pk,
        "threshold": 100,
        "escalation_level": 1,
        "due_at": clock.due_at.isoformat(),
    }
    chinese = render_message(message)
    assert f"{ticket.number} (维修)" in chinese.body and "「首次响应」" in chinese.body
    message.language = "en"
    english = render_message(message)
    assert f"{ticket.number} (Repair)" in english.body and '"First response"' in english.body
    assert "level 1" in english.body and clock.due_at.isoformat() in english.body
