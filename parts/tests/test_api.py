"""The parts API: who may do what, filters, and the error shape (CONTRACT.md §4)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from aftersales.core.models import Region
from parts.api.serializers import StockRowSerializer, stock_row
from parts.models import Part, StockBalance, StockMovement, Transfer, WarehouseTier
from parts.services import stock_move, stock_reserve, stock_transfer_send
from warranty.tests.factories import ComponentFactory, ProductModelFactory

from . import factories

pytestmark = pytest.mark.django_db


# --- catalogue ------------------------------------------------------------------------------


def test_the_catalogue_lists_parts_with_their_model_and_component(api_as):
    component = ComponentFactory()
    part = factories.part(sku="CMP-35", product_model=component.product_model, component=component)
    factories.part(sku="FAN-1")
    response = api_as("technician").get("/api/v1/parts/", {"model": component.product_model.code})
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "sku": "CMP-35",
            "name": part.name,
            "model": component.product_model.code,
            "component": component.code,
            "serial_tracked": False,
            "price": str(part.price),
            "is_active": True,
        }
    ]


def test_catalogue_filters_component_and_search(api_as):
    component = ComponentFactory(code="main-board")
    factories.part(sku="MB-1", name="Main board", product_model=component.product_model, component=component)
    factories.part(sku="FAN-1", name="Fan motor")
    client = api_as("technician")
    assert [row["sku"] for row in client.get("/api/v1/parts/?component=main-board").json()["results"]] == ["MB-1"]
    assert [row["sku"] for row in client.get("/api/v1/parts/?search=motor").json()["results"]] == ["FAN-1"]
    assert client.get("/api/v1/parts/FAN-1/").json()["name"] == "Fan motor"
    missing = client.get("/api/v1/parts/NOPE-1/")
    assert missing.status_code == 404
    assert set(missing.json()) == {"detail", "code"}


def test_the_stock_manager_adds_a_part(api_as):
    component = ComponentFactory()
    body = {
        "sku": "CMP-99",
        "name": "Compressor 9 kW",
        "model": component.product_model.code,
        "component": component.code,
        "serial_tracked": True,
        "price": "880.00",
    }
    response = api_as("manager").post("/api/v1/parts/", body, format="json")
    assert response.status_code == 201, response.json()
    created = Part.objects.get(sku="CMP-99")
    assert (created.component, created.serial_tracked, str(created.price)) == (component, True, "880.00")
    assert response.json()["component"] == component.code


@pytest.mark.parametrize("role", ["technician", "supervisor", "coordinator", "agent"])
def test_other_roles_may_not_add_parts(api_as, role):
    model = ProductModelFactory()
    response = api_as(role).post("/api/v1/parts/", {"sku": "X-1", "name": "X", "model": model.code}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Part.objects.filter(sku="X-1").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sku": "A/B"}, "sku"),
        ({"model": "NO-SUCH-MODEL"}, "model"),
        ({"component": "no-such-component"}, "component"),
        ({"price": "-1"}, "price"),
        ({"sku": "DUP-1"}, "sku"),
    ],
)
def test_bad_catalogue_input_is_a_400_naming_the_field(api_as, change, field):
    model = ProductModelFactory()
    factories.part(sku="DUP-1")
    body = {"sku": "NEW-1", "name": "New", "model": model.code, **change}
    response = api_as("manager").post("/api/v1/parts/", body, format="json")
    assert response.status_code == 400
    assert {"detail", "code", field} <= set(response.json())


def test_the_catalogue_needs_a_login_and_a_role(api_client, api_as):
    factories.part()
    assert api_client.get("/api/v1/parts/").status_code in (401, 403)
    assert api_as("agent").get("/api/v1/parts/").status_code == 403


def test_the_catalogue_list_costs_a_fixed_number_of_queries(api_as, django_assert_max_num_queries):
    for number in range(12):
        factories.part(sku=f"Q-{number}")
    client = api_as("technician")
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/parts/")
    assert response.json()["count"] == 12


# --- warehouses, stock, movements, transfers -------------------------------------------------


@pytest.fixture
def depot(make_user):
    """A central warehouse with 3 units of a part, a regional store, and a technician's van."""
    manager = make_user("manager")
    technician = make_user("technician")
    region = Region.objects.create(code="east", name="East")
    central = factories.warehouse(manager, tier=WarehouseTier.CENTRAL, code="central")
    store = factories.warehouse(manager, tier=WarehouseTier.REGIONAL, code="east-store", region=region)
    van = factories.warehouse(technician, code="van-1", region=region)
    part = factories.part(sku="CMP-1")
    stock_move(actor=manager, warehouse=central, part=part, kind="receipt", quantity=3, reason="PO 7")
    return SimpleNamespace(
        manager=manager, technician=technician, central=central, store=store, van=van, part=part, region=region
    )


def as_user(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_warehouses_list_filters_tier_and_region(depot):
    client = as_user(depot.manager)
    rows = client.get("/api/v1/warehouses/", {"tier": "regional"}).json()["results"]
    assert rows == [
        {
            "code": "east-store",
            "name": "east-store",
            "tier": "regional",
            "region": "east",
            "owner": depot.manager.username,
        }
    ]
    assert [row["code"] for row in client.get("/api/v1/warehouses/?region=east").json()["results"]] == [
        "east-store",
        "van-1",
    ]
    assert client.get("/api/v1/warehouses/central/").json()["tier"] == "central"
    assert client.get("/api/v1/warehouses/?tier=moon").status_code == 400


def test_my_van(depot, make_user):
    client = as_user(depot.technician)
    assert [row["code"] for row in client.get("/api/v1/warehouses/mine/").json()] == ["van-1"]
    stock_move(
        actor=depot.technician, warehouse=depot.van, part=depot.part, kind="receipt", quantity=1, reason="from store"
    )
    rows = client.get("/api/v1/stock/?warehouse=mine").json()["results"]
    assert [(row["warehouse"], row["part"], row["available"]) for row in rows] == [("van-1", "CMP-1", 1)]
    # Another technician's van is neither listed nor reachable.
    other = as_user(make_user("technician"))
    assert other.get("/api/v1/stock/?warehouse=mine").json()["results"] == []
    assert other.get("/api/v1/warehouses/van-1/").status_code == 404


def test_stock_rows_carry_on_hand_reserved_available(depot):
    stock_reserve(actor=depot.manager, warehouse=depot.central, part=depot.part, quantity=1)
    response = as_user(depot.technician).get("/api/v1/stock/", {"part": "CMP-1"})
    assert response.status_code == 200
    (row,) = response.json()["results"]
    balance = StockBalance.objects.get(part=depot.part, warehouse=depot.central)
    assert row == {
        "id": balance.pk,
        "part": "CMP-1",
        "part_name": depot.part.name,
        "warehouse": "central",
        "tier": "central",
        "region": None,
        "on_hand": 3,
        "reserved": 1,
        "available": 2,
        "reorder_point": 0,
        "low": False,
    }
    assert as_user(depot.technician).get(f"/api/v1/stock/{balance.pk}/").json() == row


def test_the_plain_stock_row_is_the_serializer_s(depot):
    StockBalance.objects.filter(part=depot.part).update(reorder_point=5)
    factories.warehouse(depot.manager, code="with-region", region=depot.region)
    for balance in StockBalance.objects.select_related("part", "warehouse__region"):
        assert stock_row(balance) == dict(StockRowSerializer(balance).data)


def test_stock_filters_low_and_available(depot):
    client = as_user(depot.manager)
    StockBalance.objects.filter(part=depot.part, warehouse=depot.central).update(reorder_point=4)
    stock_move(actor=depot.manager, warehouse=depot.store, part=depot.part, kind="receipt", quantity=9, reason="PO")
    assert [row["warehouse"] for row in client.get("/api/v1/stock/?low=true").json()["results"]] == ["central"]
    assert [
        row["warehouse"] for row in client.get("/api/v1/stock/?available=true&tier=regional").json()["results"]
    ] == ["east-store"]
    assert client.get("/api/v1/stock/?low=maybe").status_code == 400


def test_nationwide_availability_of_a_part_nearest_first(depot):
    stock_move(actor=depot.manager, warehouse=depot.store, part=depot.part, kind="receipt", quantity=2, reason="PO")
    response = as_user(depot.technician).get("/api/v1/parts/CMP-1/availability/")
    assert response.status_code == 200
    body = response.json()
    assert (body["part"], body["available"]) == ("CMP-1", 5)
    assert [row["warehouse"] for row in body["warehouses"]] == ["east-store", "central"]


def test_stock_list_costs_a_fixed_number_of_queries(depot, django_assert_max_num_queries):
    for number in range(10):
        part = factories.part(sku=f"N-{number}")
        stock_move(actor=depot.manager, warehouse=depot.store, part=part, kind="receipt", quantity=1, reason="PO")
    client = as_user(depot.technician)
    with django_assert_max_num_queries(7):
        response = client.get("/api/v1/stock/")
    assert response.json()["count"] == 11


def movement(client, **body):
    return client.post("/api/v1/stock-movements/", body, format="json")


def test_a_technician_issues_from_their_van_against_a_ticket(depot):
    client = as_user(depot.technician)
    received = movement(client, kind="receipt", warehouse="van-1", part="CMP-1", quantity=2, reason="from store")
    assert received.status_code == 201, received.json()
    issued = movement(
        client, kind="issue", warehouse="van-1", part="CMP-1", quantity=1, reason="repair", ticket_reference="T-9"
    )
    assert issued.status_code == 201
    assert issued.json() | {"id": 0, "created_at": ""} == {
        "id": 0,
        "part": "CMP-1",
        "warehouse": "van-1",
        "kind": "issue",
        "quantity": -1,
        "actor": depot.technician.username,
        "reason": "repair",
        "ticket_reference": "T-9",
        "transfer": None,
        "created_at": "",
    }
    assert StockBalance.objects.get(part=depot.part, warehouse=depot.van).on_hand == 1
    log = client.get("/api/v1/stock-movements/?ticket_reference=T-9").json()["results"]
    assert [row["id"] for row in log] == [issued.json()["id"]]


def test_issuing_more_than_is_available_is_a_409(depot):
    response = movement(
        as_user(depot.manager),
        kind="issue",
        warehouse="central",
        part="CMP-1",
        quantity=4,
        reason="repair",
        ticket_reference="T-1",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "out_of_stock"
    assert StockBalance.objects.get(part=depot.part, warehouse=depot.central).on_hand == 3


def test_a_technician_may_not_move_stock_in_the_central_warehouse(depot):
    response = movement(
        as_user(depot.technician), kind="scrap", warehouse="central", part="CMP-1", quantity=1, reason="x"
    )
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "code"}
    assert StockMovement.objects.filter(kind="scrap").count() == 0


@pytest.mark.parametrize("role", ["coordinator", "agent"])
def test_roles_without_the_move_permission_get_a_403(depot, make_user, role):
    response = movement(
        as_user(make_user(role)), kind="receipt", warehouse="central", part="CMP-1", quantity=1, reason="x"
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"kind": "issue", "quantity": 1, "reason": "repair"}, "reference_required"),
        ({"kind": "receipt", "quantity": 0, "reason": "PO"}, "bad_quantity"),
        ({"kind": "receipt", "quantity": 1, "reason": "  "}, "blank"),
        ({"kind": "transfer_out", "quantity": 1, "reason": "x"}, "invalid_choice"),
        ({"kind": "receipt", "quantity": "lots", "reason": "PO"}, "invalid"),
        ({"kind": "receipt", "quantity": 1, "reason": "PO", "warehouse": "nowhere"}, "does_not_exist"),
    ],
)
def test_bad_movement_input_is_a_400_with_its_code(depot, body, code):
    response = movement(as_user(depot.manager), **{"warehouse": "central", "part": "CMP-1", **body})
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_a_transfer_is_in_transit_until_received_once(depot):
    sender, receiver = as_user(depot.manager), as_user(depot.technician)
    sent = sender.post(
        "/api/v1/stock-movements/transfer/",
        {"source": "central", "destination": "van-1", "part": "CMP-1", "quantity": 2, "reason": "for T-3"},
        format="json",
    )
    assert sent.status_code == 201, sent.json()
    transfer = sent.json()
    assert (transfer["status"], transfer["source"], transfer["destination"]) == ("in_transit", "central", "van-1")
    assert [row["id"] for row in receiver.get("/api/v1/transfers/?status=in_transit").json()["results"]] == [
        transfer["id"]
    ]
    received = receiver.post(f"/api/v1/transfers/{transfer['id']}/receive/")
    assert received.status_code == 200
    assert received.json()["status"] == "received"
    again = receiver.post(f"/api/v1/transfers/{transfer['id']}/receive/")
    assert again.status_code == 409
    assert again.json()["code"] == "already_received"
    assert StockBalance.objects.get(part=depot.part, warehouse=depot.van).on_hand == 2


def test_sending_more_than_is_available_is_a_409(depot):
    response = as_user(depot.manager).post(
        "/api/v1/stock-movements/transfer/",
        {"source": "central", "destination": "east-store", "part": "CMP-1", "quantity": 9, "reason": "x"},
        format="json",
    )
    assert response.status_code == 409
    assert not Transfer.objects.exists()


def test_only_the_destination_s_keeper_receives(depot, make_user):
    transfer = stock_transfer_send(
        actor=depot.manager, source=depot.central, destination=depot.van, part=depot.part, quantity=1, reason="x"
    )
    other = as_user(make_user("supervisor"))  # may see and move anywhere: allowed
    stranger = as_user(make_user("technician"))  # not their van: they do not even see it
    assert stranger.post(f"/api/v1/transfers/{transfer.pk}/receive/").status_code == 404
    assert other.post(f"/api/v1/transfers/{transfer.pk}/receive/").status_code == 200
