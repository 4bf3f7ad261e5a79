"""Who sees which warehouses, stock rows and movements (parts/selectors.py)."""

from __future__ import annotations

import pytest

from aftersales.core.models import Region
from parts import selectors
from parts.models import MovementKind, WarehouseTier
from parts.services import stock_move

from . import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(make_user):
    """A central warehouse, a regional store and two technicians' vans, each holding the part."""
    manager = make_user("manager")
    north = Region.objects.create(code="north", name="North")
    south = Region.objects.create(code="south", name="South")
    alice, bob = make_user("technician"), make_user("technician")
    warehouses = {
        "central": factories.warehouse(manager, tier=WarehouseTier.CENTRAL, code="central"),
        "north": factories.warehouse(manager, tier=WarehouseTier.REGIONAL, code="north-store", region=north),
        "south": factories.warehouse(manager, tier=WarehouseTier.REGIONAL, code="south-store", region=south),
        "alice_van": factories.warehouse(alice, code="van-alice", region=south),
        "bob_van": factories.warehouse(bob, code="van-bob", region=north),
    }
    part = factories.part(sku="CMP-1")
    for warehouse in warehouses.values():
        stock_move(actor=manager, warehouse=warehouse, part=part, kind=MovementKind.RECEIPT, quantity=2, reason="PO")
    return {"manager": manager, "alice": alice, "bob": bob, "part": part, **warehouses}


def codes(rows) -> list[str]:
    return [row.warehouse.code for row in rows]


def test_a_technician_sees_their_van_and_the_shared_stores_not_other_vans(network):
    visible = set(selectors.warehouses_visible_to(network["alice"]).values_list("code", flat=True))
    assert visible == {"central", "north-store", "south-store", "van-alice"}
    rows = selectors.stock_list(user=network["alice"])
    assert sorted(codes(rows)) == sorted(visible)


def test_view_any_stock_sees_every_warehouse(network, make_user):
    for role in ("manager", "supervisor", "coordinator"):
        rows = selectors.stock_list(user=make_user(role))
        assert len(rows) == 5, role


def test_an_agent_sees_no_stock(network, make_user):
    agent = make_user("agent")
    assert not selectors.stock_list(user=agent).exists()
    assert not selectors.warehouses_visible_to(agent).exists()
    assert not selectors.movements_visible_to(agent).exists()


def test_movements_of_a_technician_are_those_of_their_own_warehouses(network):
    movements = selectors.movement_list(user=network["alice"])
    assert {movement.warehouse.code for movement in movements} == {"van-alice"}
    assert selectors.movement_list(user=network["manager"]).count() == 5


def test_my_van_is_the_warehouses_one_owns(network):
    assert list(selectors.warehouses_of(network["bob"])) == [network["bob_van"]]
    assert [row.warehouse for row in selectors.stock_list(user=network["bob"], mine=True)] == [network["bob_van"]]


def test_availability_lists_the_nearest_warehouse_first(network):
    # Alice's van is in the south: her van, the southern store, the northern one, then the centre.
    rows = selectors.part_availability(user=network["alice"], part=network["part"])
    assert codes(rows) == ["van-alice", "south-store", "north-store", "central"]
    rows = selectors.part_availability(user=network["bob"], part=network["part"])
    assert codes(rows) == ["van-bob", "north-store", "south-store", "central"]


def test_availability_leaves_out_warehouses_with_nothing_to_take(network):
    manager, part = network["manager"], network["part"]
    stock_move(actor=manager, warehouse=network["north"], part=part, kind="scrap", quantity=2, reason="water damage")
    rows = selectors.part_availability(user=network["bob"], part=part)
    assert "north-store" not in codes(rows)
    assert codes(selectors.stock_list(user=manager, available=False)) == ["north-store"]


def test_low_stock_is_available_below_the_reorder_point(network):
    row = selectors.stock_list(user=network["manager"], warehouse="central").get()
    row.reorder_point = 3
    row.save(update_fields=["reorder_point"])
    assert codes(selectors.stock_list(user=network["manager"], low=True)) == ["central"]
    assert "central" not in codes(selectors.stock_list(user=network["manager"], low=False))


def test_part_list_filters_by_model_component_and_search(make_user):
    manager = make_user("manager")
    first, second = factories.part(sku="FAN-1", name="Fan motor"), factories.part(sku="CMP-2", name="Compressor")
    assert list(selectors.part_list(user=manager, model=first.product_model.code)) == [first]
    assert list(selectors.part_list(user=manager, search="compress")) == [second]
    assert list(selectors.part_list(user=manager, search="fan-")) == [first]
    assert not selectors.part_list(user=make_user("agent")).exists()
