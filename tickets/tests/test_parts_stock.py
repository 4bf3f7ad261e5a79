"""The repair flow uses stock (issue #15 item 4): the plan reserves parts, the technician issues
them against the reservation as parts used on the ticket, and resolving (or cancelling) gives back
whatever is still held. Stock rows always equal the sum of their movements."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from aftersales.core.cases import ActionNotAllowed
from conftest import shanghai
from parts.models import ReservationStatus, StockBalance, StockMovement, WarehouseTier
from parts.services import reservation_create, reservation_plan, stock_move
from parts.tests import factories as parts_factories
from tickets.choices import Status
from tickets.services import part_issue_reserved, ticket_transition

from . import factories

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 23, 10)


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


@pytest.fixture
def van(staff):
    """The technician's van with 3 compressors."""
    van = parts_factories.warehouse(staff["technician"], tier=WarehouseTier.VAN, code="van-1")
    part = parts_factories.part(sku="CMP-35", name="Compressor 3.5 kW")
    stock_move(actor=staff["supervisor"], warehouse=van, part=part, kind="receipt", quantity=3, reason="load")
    return van, part


def balance(van, part) -> StockBalance:
    return StockBalance.objects.get(warehouse=van, part=part)


def assert_balances_match_movements():
    for row in StockBalance.objects.all():
        moved = StockMovement.objects.filter(warehouse=row.warehouse_id, part=row.part_id)
        assert row.on_hand == sum(moved.values_list("quantity", flat=True))


def test_reserve_issue_resolve_round_trip(staff, van):
    warehouse, part = van
    ticket = factories.ticket_in(Status.IN_PROGRESS, staff=staff, now=T0)
    reservation = reservation_plan(
        actor=staff["technician"], part=part, quantity=2, ticket_reference=ticket.number, near=staff["technician"]
    )
    assert reservation.warehouse == warehouse

    usage = part_issue_reserved(
        ticket=ticket, actor=staff["technician"], reservation=reservation, quantity=1, replacement_serial="C-NEW-1"
    )

    assert (usage.part_number, usage.quantity, usage.unit_cost) == ("CMP-35", 1, part.price)
    assert usage.replacement_serial == "C-NEW-1"
    issue = StockMovement.objects.get(kind="issue")
    assert (issue.ticket_reference, issue.quantity, issue.actor) == (ticket.number, -1, staff["technician"])
    assert (balance(warehouse, part).on_hand, balance(warehouse, part).reserved) == (2, 1)
    assert ticket.events.filter(action="part_recorded").count() == 1

    ticket_transition(
        ticket=ticket,
        action="resolve",
        actor=staff["technician"],
        data={"resolution": "compressor replaced", "functional_test": "passed"},
        now=T0,
    )

    reservation.refresh_from_db()
    assert (reservation.status, reservation.issued, reservation.released) == (ReservationStatus.CLOSED, 1, 1)
    assert (balance(warehouse, part).on_hand, balance(warehouse, part).reserved) == (2, 0)
    assert_balances_match_movements()


def test_cancelling_a_ticket_releases_its_holds(staff, van):
    warehouse, part = van
    ticket = factories.ticket_in(Status.IN_PROGRESS, staff=staff, now=T0)
    reservation_create(
        actor=staff["supervisor"], warehouse=warehouse, part=part, quantity=3, ticket_reference=ticket.number
    )
    assert balance(warehouse, part).available == 0
    ticket_transition(ticket=ticket, action="cancel", actor=staff["supervisor"], data={"note": "duplicate"}, now=T0)
    assert balance(warehouse, part).available == 3


def test_a_reservation_of_another_ticket_is_refused(staff, van):
    warehouse, part = van
    ticket = factories.ticket_in(Status.IN_PROGRESS, staff=staff, now=T0)
    other = reservation_create(
        actor=staff["technician"], warehouse=warehouse, part=part, quantity=1, ticket_reference="T-OTHER"
    )
    with pytest.raises(ValidationError):
        part_issue_reserved(ticket=ticket, actor=staff["technician"], reservation=other)
    assert not StockMovement.objects.filter(kind="issue").exists()
    assert ticket.parts.count() == 0


def test_parts_are_issued_only_while_the_ticket_is_worked_on(staff, van):
    warehouse, part = van
    ticket = factories.ticket_in(Status.ACKNOWLEDGED, staff=staff, now=T0)
    reservation = reservation_create(
        actor=staff["technician"], warehouse=warehouse, part=part, quantity=1, ticket_reference=ticket.number
    )
    with pytest.raises(ActionNotAllowed):
        part_issue_reserved(ticket=ticket, actor=staff["technician"], reservation=reservation)
    assert balance(warehouse, part).on_hand == 3


def test_who_may_not_record_parts_may_not_issue(staff, van):
    warehouse, part = van
    ticket = factories.ticket_in(Status.IN_PROGRESS, staff=staff, now=T0)
    reservation = reservation_create(
        actor=staff["technician"], warehouse=warehouse, part=part, quantity=1, ticket_reference=ticket.number
    )
    with pytest.raises(PermissionDenied):
        part_issue_reserved(ticket=ticket, actor=staff["agent"], reservation=reservation)
    assert balance(warehouse, part).reserved == 1


def test_the_ticket_api_issues_reserved_parts(staff, van):
    warehouse, part = van
    ticket = factories.ticket_in(Status.IN_PROGRESS, staff=staff, now=T0)
    reservation = reservation_create(
        actor=staff["technician"], warehouse=warehouse, part=part, quantity=2, ticket_reference=ticket.number
    )
    client = APIClient()
    client.force_authenticate(staff["technician"])
    url = f"/api/v1/tickets/{ticket.number}/parts/issue/"

    response = client.post(url, {"reservation": reservation.pk, "replacement_serial": "C-9"}, format="json")

    assert response.status_code == 201, response.json()
    assert (response.json()["part_number"], response.json()["quantity"]) == ("CMP-35", 2)
    assert balance(warehouse, part).on_hand == 1
    again = client.post(url, {"reservation": reservation.pk}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "reservation_closed")
    unknown = client.post(url, {"reservation": 999999}, format="json")
    assert (unknown.status_code, unknown.json()["code"]) == (400, "does_not_exist")
    agent = APIClient()
    agent.force_authenticate(staff["agent"])
    assert agent.post(url, {"reservation": reservation.pk}, format="json").status_code in (403, 404)
