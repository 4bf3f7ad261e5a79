"""The parts admin: pages render; the catalogue, warehouses and movements are written through the
services; balances and movements cannot be edited or deleted; transfers are received by an action."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from parts.models import Part, StockBalance, StockMovement, TransferStatus, Warehouse, WarehouseTier
from parts.services import stock_move, stock_transfer_send
from warranty.tests.factories import ProductModelFactory

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def site(manager) -> Client:
    client = Client()
    client.force_login(manager)
    return client


@pytest.fixture
def stocked(manager):
    part = factories.part(sku="ADM-1")
    central = factories.warehouse(manager, tier=WarehouseTier.CENTRAL, code="central")
    stock_move(actor=manager, warehouse=central, part=part, kind="receipt", quantity=4, reason="PO")
    return part, central


@pytest.fixture
def in_transit(manager, stocked):
    part, central = stocked
    store = factories.warehouse(manager, tier=WarehouseTier.REGIONAL, code="store")
    return stock_transfer_send(actor=manager, source=central, destination=store, part=part, quantity=2, reason="r")


@pytest.mark.parametrize("model", ["part", "warehouse", "stockbalance", "stockmovement", "transfer"])
def test_list_pages_render(site, in_transit, model):
    response = site.get(reverse(f"admin:parts_{model}_changelist"))
    assert response.status_code == 200
    assert (b"central" if model == "warehouse" else b"ADM-1") in response.content


def test_a_part_is_added_through_the_service(site):
    model = ProductModelFactory()
    response = site.post(
        reverse("admin:parts_part_add"),
        {"sku": "ADM-9", "name": "Board", "product_model": model.pk, "price": "12.50", "is_active": "on"},
    )
    assert response.status_code == 302, response.content[:2000]
    assert Part.objects.get(sku="ADM-9").product_model == model


def test_a_warehouse_is_added_and_handed_over(site, make_user):
    technician = make_user("technician")
    response = site.post(
        reverse("admin:parts_warehouse_add"), {"code": "van-9", "name": "Van 9", "tier": "van", "owner": technician.pk}
    )
    assert response.status_code == 302
    van = Warehouse.objects.get(code="van-9")
    successor = make_user("technician")
    response = site.post(
        reverse("admin:parts_warehouse_change", args=[van.pk]), {"name": "Van 9", "owner": successor.pk}
    )
    assert response.status_code == 302
    van.refresh_from_db()
    assert van.owner == successor


def test_a_movement_is_booked_through_stock_move_and_never_changed(site, stocked, manager):
    part, central = stocked
    response = site.post(
        reverse("admin:parts_stockmovement_add"),
        {"warehouse": central.pk, "part": part.pk, "kind": "scrap", "quantity": 1, "reason": "broken"},
    )
    assert response.status_code == 302
    movement = StockMovement.objects.get(kind="scrap")
    assert (movement.quantity, movement.actor) == (-1, manager)
    assert StockBalance.objects.get(part=part, warehouse=central).on_hand == 3
    change = site.get(reverse("admin:parts_stockmovement_change", args=[movement.pk]))
    assert b'name="quantity"' not in change.content
    assert site.post(reverse("admin:parts_stockmovement_delete", args=[movement.pk])).status_code == 403


def test_a_refused_movement_shows_the_reason_on_the_form(site, stocked):
    part, central = stocked
    response = site.post(
        reverse("admin:parts_stockmovement_add"),
        {"warehouse": central.pk, "part": part.pk, "kind": "scrap", "quantity": 9, "reason": "flood"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert not StockMovement.objects.filter(kind="scrap").exists()


def test_balances_are_read_only(site, stocked):
    part, central = stocked
    balance = StockBalance.objects.get(part=part, warehouse=central)
    assert site.get(reverse("admin:parts_stockbalance_add")).status_code == 403
    response = site.post(reverse("admin:parts_stockbalance_change", args=[balance.pk]), {"on_hand": 99})
    assert response.status_code == 403
    balance.refresh_from_db()
    assert balance.on_hand == 4


def test_transfers_are_received_by_the_admin_action(site, in_transit):
    transfer = in_transit
    response = site.post(
        reverse("admin:parts_transfer_changelist"), {"action": "receive", ACTION_CHECKBOX_NAME: [transfer.pk]}
    )
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED
    assert StockBalance.objects.get(part=transfer.part, warehouse=transfer.destination).on_hand == 2
