"""Reservations: the repair plan holds units at the nearest warehouse, the issue is made against the
hold, and whatever is left goes back when the job ends."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from aftersales.core.models import Region
from parts.models import MovementKind, ReservationStatus, StockBalance, StockMovement, WarehouseTier
from parts.services import (
    OutOfStock,
    reservation_create,
    reservation_issue,
    reservation_plan,
    reservation_release,
    reservations_release_for,
    stock_move,
)

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def stores(make_user):
    supervisor = make_user("supervisor")
    technician = make_user("technician")
    east = Region.objects.create(code="east", name="East")
    central = factories.warehouse(supervisor, tier=WarehouseTier.CENTRAL, code="central")
    store = factories.warehouse(supervisor, tier=WarehouseTier.REGIONAL, code="east-store", region=east)
    van = factories.warehouse(technician, code="van", region=east)
    part = factories.part(sku="R-1")
    for warehouse, quantity in ((central, 5), (store, 2)):
        stock_move(actor=supervisor, warehouse=warehouse, part=part, kind="receipt", quantity=quantity, reason="PO")
    return supervisor, technician, central, store, van, part


def balance(part, warehouse) -> StockBalance:
    return StockBalance.objects.get(part=part, warehouse=warehouse)


def test_the_plan_reserves_at_the_nearest_warehouse_that_has_enough(stores):
    supervisor, technician, central, store, _van, part = stores
    near = reservation_plan(actor=supervisor, part=part, quantity=2, ticket_reference="T-1", near=technician)
    assert near.warehouse == store  # the technician's region
    far = reservation_plan(actor=supervisor, part=part, quantity=3, ticket_reference="T-2", near=technician)
    assert far.warehouse == central  # the store has nothing left
    assert (balance(part, store).reserved, balance(part, central).reserved) == (2, 3)
    with pytest.raises(OutOfStock):
        reservation_plan(actor=supervisor, part=part, quantity=3, ticket_reference="T-3", near=technician)


def test_reserve_issue_and_release_round_trip(stores):
    supervisor, _technician, central, _store, _van, part = stores
    reservation = reservation_create(actor=supervisor, warehouse=central, part=part, quantity=3, ticket_reference="T-7")
    assert balance(part, central).available == 2

    movement = reservation_issue(actor=supervisor, reservation=reservation, quantity=2)
    assert (movement.kind, movement.quantity, movement.ticket_reference) == (MovementKind.ISSUE, -2, "T-7")
    assert (balance(part, central).on_hand, balance(part, central).reserved) == (3, 1)

    released = reservation_release(actor=supervisor, reservation=reservation)
    assert (released.issued, released.released, released.outstanding, released.status) == (2, 1, 0, "closed")
    assert (balance(part, central).on_hand, balance(part, central).reserved) == (3, 0)
    with pytest.raises(ValidationError) as closed:
        reservation_issue(actor=supervisor, reservation=released)
    assert closed.value.code == "reservation_closed"
    on_hand = sum(StockMovement.objects.filter(part=part, warehouse=central).values_list("quantity", flat=True))
    assert on_hand == balance(part, central).on_hand


def test_the_end_of_a_job_releases_its_holds(stores):
    supervisor, _technician, central, store, _van, part = stores
    first = reservation_create(actor=supervisor, warehouse=central, part=part, quantity=2, ticket_reference="T-9")
    reservation_create(actor=supervisor, warehouse=store, part=part, quantity=1, ticket_reference="T-9")
    other = reservation_create(actor=supervisor, warehouse=central, part=part, quantity=1, ticket_reference="T-10")
    reservation_issue(actor=supervisor, reservation=first, quantity=1)

    released = reservations_release_for(ticket_reference="T-9")

    assert len(released) == 2
    assert all(reservation.status == ReservationStatus.CLOSED for reservation in released)
    assert (balance(part, central).reserved, balance(part, store).reserved) == (other.quantity, 0)
    assert reservations_release_for(ticket_reference="T-9") == []


def test_a_technician_reserves_only_in_their_own_van(stores):
    _supervisor, technician, central, _store, _van, part = stores
    with pytest.raises(PermissionDenied):
        reservation_create(actor=technician, warehouse=central, part=part, quantity=1, ticket_reference="T-1")
    with pytest.raises(OutOfStock):  # may plan, but only where they may move: their empty van
        reservation_plan(actor=technician, part=part, quantity=1, ticket_reference="T-1")


def test_an_issue_beyond_the_hold_is_refused(stores):
    supervisor, _technician, central, _store, _van, part = stores
    reservation = reservation_create(actor=supervisor, warehouse=central, part=part, quantity=1, ticket_reference="T-1")
    with pytest.raises(ValidationError) as refused:
        reservation_issue(actor=supervisor, reservation=reservation, quantity=2)
    assert refused.value.code == "bad_quantity"
    assert balance(part, central).on_hand == 5


def test_the_reservation_api(stores):
    supervisor, technician, _central, _store, _van, _part = stores
    client = APIClient()
    client.force_authenticate(supervisor)
    created = client.post(
        "/api/v1/reservations/", {"part": "R-1", "quantity": 2, "ticket_reference": "T-5"}, format="json"
    )
    assert created.status_code == 201, created.json()
    reservation = created.json()
    assert (reservation["warehouse"], reservation["outstanding"], reservation["status"]) == ("central", 2, "open")

    issued = client.post(f"/api/v1/reservations/{reservation['id']}/issue/", {"quantity": 1}, format="json")
    assert issued.status_code == 200
    assert (issued.json()["kind"], issued.json()["ticket_reference"]) == ("issue", "T-5")
    released = client.post(f"/api/v1/reservations/{reservation['id']}/release/")
    assert released.json()["status"] == "closed"
    again = client.post(f"/api/v1/reservations/{reservation['id']}/release/")
    assert (again.status_code, again.json()["code"]) == (409, "reservation_closed")
    listed = client.get("/api/v1/reservations/?ticket_reference=T-5").json()["results"]
    assert [row["id"] for row in listed] == [reservation["id"]]

    too_many = client.post(
        "/api/v1/reservations/",
        {"part": "R-1", "quantity": 99, "ticket_reference": "T-6", "warehouse": "east-store"},
        format="json",
    )
    assert (too_many.status_code, too_many.json()["code"]) == (409, "out_of_stock")

    tech = APIClient()
    tech.force_authenticate(technician)
    refused = tech.post(
        "/api/v1/reservations/",
        {"part": "R-1", "quantity": 1, "ticket_reference": "T-6", "warehouse": "central"},
        format="json",
    )
    assert refused.status_code == 403
