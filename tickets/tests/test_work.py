"""Labour and travel (REQUIREMENTS §3): recorded per visit by the assignee or a dispatcher while the
ticket is in work, or with the resolution; bad amounts are 400, never a database error.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from conftest import shanghai
from tickets.actions import ActionNotAllowed
from tickets.choices import Status
from tickets.models import Ticket
from tickets.services import ticket_record_work, ticket_transition

from . import factories

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 23, 10)


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


def ticket_in(staff, status):
    return factories.ticket_in(status, staff=staff, now=T0)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def work_url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.number}/work/"


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["detail"] and body["code"]
    if code:
        assert body["code"] == code, body
    return body


# --- the service ----------------------------------------------------------------------------------


def test_the_assignee_records_visits_which_add_up(staff):
    ticket = ticket_in(staff, Status.IN_PROGRESS)

    ticket_record_work(ticket=ticket, by=staff["technician"], labour_hours="1.5", travel_km=12, note="first visit")
    ticket = ticket_record_work(ticket=ticket, by=staff["technician"], labour_hours=Decimal("0.75"))

    assert (ticket.labour_hours, ticket.travel_km) == (Decimal("2.25"), 12)
    events = list(ticket.events.filter(action="work_recorded").order_by("id"))
    assert [event.data["labour_hours"] for event in events] == ["1.50", "0.75"]
    assert events[-1].data["total_labour_hours"] == "2.25" and events[-1].data["total_travel_km"] == 12
    assert events[0].note == "first visit" and not events[0].public  # internal: not on the customer's page
    assert events[0].actor == staff["technician"]


@pytest.mark.parametrize("status", [Status.AWAITING_PARTS, Status.RESOLVED, Status.CONFIRMED])
def test_work_is_recorded_while_in_work_and_until_closed(staff, status):
    ticket = ticket_in(staff, Status.IN_PROGRESS)
    if status == Status.AWAITING_PARTS:
        ticket = ticket_transition(ticket=ticket, action="wait_parts", actor=staff["technician"])
    else:
        ticket = ticket_transition(
            ticket=ticket,
            action="resolve",
            actor=staff["technician"],
            data={"resolution": "relay replaced", "functional_test": "passed"},
        )
        if status == Status.CONFIRMED:
            ticket = ticket_transition(ticket=ticket, action="confirm", by_customer=True)

    ticket = ticket_record_work(ticket=ticket, by=staff["technician"], travel_km=30)

    assert ticket.travel_km == 30 and ticket.status == status


@pytest.mark.parametrize("status", [Status.NEW, Status.ACKNOWLEDGED, Status.DIAGNOSING, Status.DISPATCHED])
def test_not_before_the_work_starts(staff, status):
    ticket = ticket_in(staff, status)
    if status != Status.NEW:
        ticket.assignee = staff["technician"]  # even the assignee-to-be
        Ticket.objects.filter(pk=ticket.pk).update(assignee=staff["technician"])

    with pytest.raises(ActionNotAllowed):
        ticket_record_work(ticket=ticket, by=staff["supervisor"], labour_hours=1)


def test_only_the_assignee_or_a_dispatcher(staff, make_user):
    ticket = ticket_in(staff, Status.IN_PROGRESS)
    other_technician = factories.technician(make_user, username="tech-other")

    for user in (other_technician, staff["agent"], staff["manager"], staff["nobody"], None):
        with pytest.raises(PermissionDenied):
            ticket_record_work(ticket=ticket, by=user, labour_hours=1)
    ticket = ticket_record_work(ticket=ticket, by=staff["supervisor"], labour_hours=1)
    assert ticket.labour_hours == Decimal("1.00")


@pytest.mark.parametrize(
    ("amounts", "field", "code"),
    [
        ({"labour_hours": "-1"}, "labour_hours", "out_of_range"),
        ({"labour_hours": "1001"}, "labour_hours", "out_of_range"),
        ({"labour_hours": "1.234"}, "labour_hours", "invalid"),
        ({"labour_hours": "NaN"}, "labour_hours", "invalid"),
        ({"labour_hours": "abc"}, "labour_hours", "invalid"),
        ({"labour_hours": True}, "labour_hours", "invalid"),
        ({"labour_hours": [1]}, "labour_hours", "invalid"),
        ({"travel_km": "2.5"}, "travel_km", "invalid"),
        ({"travel_km": -3}, "travel_km", "out_of_range"),
        ({"travel_km": 5001}, "travel_km", "out_of_range"),
        ({"travel_km": "Infinity"}, "travel_km", "invalid"),
    ],
)
def test_bad_amounts_are_refused(staff, amounts, field, code):
    ticket = ticket_in(staff, Status.IN_PROGRESS)

    with pytest.raises(ValidationError) as error:
        ticket_record_work(ticket=ticket, by=staff["technician"], **amounts)

    assert error.value.error_dict[field][0].code == code
    assert not ticket.events.filter(action="work_recorded").exists()


def test_nothing_to_record_is_refused_and_totals_cannot_overflow(staff):
    ticket = ticket_in(staff, Status.IN_PROGRESS)
    with pytest.raises(ValidationError) as error:
        ticket_record_work(ticket=ticket, by=staff["technician"], labour_hours=0, travel_km="")
    assert error.value.code == "nothing_to_record"

    Ticket.objects.filter(pk=ticket.pk).update(labour_hours=Decimal("9999"))
    with pytest.raises(ValidationError) as error:
        ticket_record_work(ticket=ticket, by=staff["technician"], labour_hours=1)
    assert error.value.error_dict["labour_hours"][0].code == "too_large"


def test_the_resolution_may_carry_the_last_visits_work(staff):
    ticket = ticket_in(staff, Status.IN_PROGRESS)

    ticket = ticket_transition(
        ticket=ticket,
        action="resolve",
        actor=staff["technician"],
        data={"resolution": "relay replaced", "functional_test": "passed", "labour_hours": "2", "travel_km": "18"},
    )

    assert (ticket.labour_hours, ticket.travel_km) == (Decimal("2.00"), 18)
    event = ticket.events.get(action="resolve")
    assert event.data["labour_hours"] == "2.00" and event.data["travel_km"] == 18


def test_bad_work_on_the_resolution_refuses_the_resolution(staff):
    ticket = ticket_in(staff, Status.IN_PROGRESS)

    with pytest.raises(ValidationError) as error:
        ticket_transition(
            ticket=ticket,
            action="resolve",
            actor=staff["technician"],
            data={"resolution": "relay replaced", "functional_test": "passed", "labour_hours": "-2"},
        )

    assert "labour_hours" in error.value.error_dict
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS and ticket.labour_hours == 0


# --- the API ----------------------------------------------------------------------------------------


def test_the_assignee_records_work_through_the_api(staff):
    ticket = ticket_in(staff, Status.IN_PROGRESS)

    response = client_for(staff["technician"]).post(
        work_url(ticket), {"labour_hours": "1.25", "travel_km": 8, "note": "on site"}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["labour_hours"] == "1.25" and body["travel_km"] == 8 and body["number"] == ticket.number


def test_roles_that_may_not_record_work_get_403_and_strangers_404(staff, make_user):
    ticket = ticket_in(staff, Status.IN_PROGRESS)
    payload = {"labour_hours": 1}

    for role in ("agent", "manager", "coordinator"):
        assert_error(client_for(staff[role]).post(work_url(ticket), payload, format="json"), 403)
    other = factories.technician(make_user, username="tech-other")
    assert_error(client_for(other).post(work_url(ticket), payload, format="json"), 404)  # cannot see it
    assert client_for(staff["supervisor"]).post(work_url(ticket), payload, format="json").status_code == 200


def test_wrong_state_is_409(staff):
    ticket = ticket_in(staff, Status.DISPATCHED)
    assert_error(client_for(staff["technician"]).post(work_url(ticket), {"travel_km": 5}, format="json"), 409)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"labour_hours": None, "travel_km": None},
        {"labour_hours": "-1"},
        {"labour_hours": "1e9"},
        {"labour_hours": "NaN"},
        {"labour_hours": "1.234"},
        {"labour_hours": {"x": 1}},
        {"travel_km": 1.5},
        {"travel_km": "far"},
        {"travel_km": 10**12},
        {"travel_km": 3, "note": "x" * 5001},
        {"travel_km": 3, "note": "a\x00b"},
    ],
)
def test_bad_values_are_400(staff, payload):
    ticket = ticket_in(staff, Status.IN_PROGRESS)

    assert_error(client_for(staff["technician"]).post(work_url(ticket), payload, format="json"), 400)
    ticket.refresh_from_db()
    assert (ticket.labour_hours, ticket.travel_km) == (0, 0)


def test_resolve_through_the_api_with_labour_and_travel(staff):
    ticket = ticket_in(staff, Status.IN_PROGRESS)
    client = client_for(staff["technician"])
    payload = {"action": "resolve", "resolution": "relay replaced", "functional_test": "passed"}

    assert_error(
        client.post(f"/api/v1/tickets/{ticket.number}/transition/", {**payload, "travel_km": -1}, format="json"), 400
    )
    response = client.post(
        f"/api/v1/tickets/{ticket.number}/transition/", {**payload, "labour_hours": 3, "travel_km": 20}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["labour_hours"] == "3.00" and response.json()["travel_km"] == 20
