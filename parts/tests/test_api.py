"""The parts API: who may do what, filters, and the error shape (CONTRACT.md §4)."""

from __future__ import annotations

import pytest

from parts.models import Part
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
