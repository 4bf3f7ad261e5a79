"""Stock services: every movement updates its balance, nothing goes negative, authorization inside."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from parts.models import MovementKind, StockBalance, StockMovement, TransferStatus, WarehouseTier
from parts.services import (
    OutOfStock,
    stock_move,
    stock_reserve,
    stock_transfer_receive,
    stock_transfer_send,
)

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor(make_user):
    return make_user("supervisor")


@pytest.fixture
def stocked(supervisor):
    part = factories.part()
    central = factories.warehouse(supervisor, tier=WarehouseTier.CENTRAL, code="central")
    stock_move(actor=supervisor, warehouse=central, part=part, kind=MovementKind.RECEIPT, quantity=5, reason="PO 1")
    return part, central


def balance(part, warehouse) -> StockBalance:
    return StockBalance.objects.get(part=part, warehouse=warehouse)


def test_receipt_issue_return_scrap_and_adjustment_update_the_balance(supervisor, stocked):
    part, central = stocked
    stock_move(
        actor=supervisor,
        warehouse=central,
        part=part,
        kind="issue",
        quantity=2,
        reason="repair",
        ticket_reference="T-1",
    )
    stock_move(actor=supervisor, warehouse=central, part=part, kind="return", quantity=1, reason="unused")
    stock_move(actor=supervisor, warehouse=central, part=part, kind="scrap", quantity=1, reason="broken")
    stock_move(actor=supervisor, warehouse=central, part=part, kind="adjustment", quantity=-1, reason="count")

    assert balance(part, central).on_hand == 5 - 2 + 1 - 1 - 1
    movements = StockMovement.objects.filter(part=part, warehouse=central)
    assert sum(movements.values_list("quantity", flat=True)) == balance(part, central).on_hand
    issue = movements.get(kind="issue")
    assert (issue.actor, issue.reason, issue.ticket_reference) == (supervisor, "repair", "T-1")


def test_issuing_more_than_available_is_refused_and_leaves_no_movement(supervisor, stocked):
    part, central = stocked
    with pytest.raises(OutOfStock):
        stock_move(
            actor=supervisor, warehouse=central, part=part, kind="issue", quantity=6, reason="x", ticket_reference="T"
        )
    assert balance(part, central).on_hand == 5
    assert StockMovement.objects.filter(kind="issue").count() == 0


def test_an_issue_names_its_ticket_and_every_movement_its_reason(supervisor, stocked):
    part, central = stocked
    with pytest.raises(ValidationError) as no_ticket:
        stock_move(actor=supervisor, warehouse=central, part=part, kind="issue", quantity=1, reason="repair")
    assert no_ticket.value.code == "reference_required"
    with pytest.raises(ValidationError) as no_reason:
        stock_move(actor=supervisor, warehouse=central, part=part, kind="receipt", quantity=1, reason=" ")
    assert no_reason.value.code == "reason_required"


def test_reserved_stock_is_not_available_to_issue(supervisor, stocked):
    part, central = stocked
    stock_reserve(actor=supervisor, warehouse=central, part=part, quantity=4)
    assert balance(part, central).available == 1
    with pytest.raises(OutOfStock):
        stock_move(
            actor=supervisor, warehouse=central, part=part, kind="issue", quantity=2, reason="x", ticket_reference="T"
        )
    stock_reserve(actor=supervisor, warehouse=central, part=part, quantity=-4)
    assert balance(part, central).available == 5


def test_a_transfer_is_in_transit_until_received_once(supervisor, make_user, stocked):
    part, central = stocked
    technician = make_user("technician")
    van = factories.warehouse(technician)
    transfer = stock_transfer_send(
        actor=supervisor, source=central, destination=van, part=part, quantity=3, reason="restock van"
    )
    assert transfer.status == TransferStatus.IN_TRANSIT
    assert balance(part, central).on_hand == 2
    assert not StockBalance.objects.filter(warehouse=van, on_hand__gt=0).exists()

    stock_transfer_receive(actor=technician, transfer=transfer)
    assert balance(part, van).on_hand == 3
    with pytest.raises(ValidationError) as again:
        stock_transfer_receive(actor=technician, transfer=transfer)
    assert again.value.code == "already_received"
    assert balance(part, van).on_hand == 3


def test_a_technician_moves_stock_only_in_their_own_van(make_user, stocked):
    part, central = stocked
    technician = make_user("technician")
    van = factories.warehouse(technician)
    other_van = factories.warehouse(make_user("technician"))
    stock_move(actor=technician, warehouse=van, part=part, kind="receipt", quantity=1, reason="found")
    for warehouse in (central, other_van):
        with pytest.raises(PermissionDenied):
            stock_move(actor=technician, warehouse=warehouse, part=part, kind="receipt", quantity=1, reason="x")
    coordinator = make_user("coordinator")
    with pytest.raises(PermissionDenied):
        stock_reserve(actor=coordinator, warehouse=central, part=part, quantity=1)


def test_the_database_refuses_a_negative_balance_and_changed_movements(stocked):
    part, central = stocked
    with pytest.raises(IntegrityError), transaction.atomic():
        StockBalance.objects.filter(part=part, warehouse=central).update(on_hand=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.filter(part=part).update(quantity=99)
