"""Affected units and customers: the scope resolved against a hand-computed installed base."""

from datetime import date

import pytest

from aftersales.core.models import Region
from emergency.models import Incident
from emergency.selectors import incident_affected, incident_affected_customer_ids, incident_affected_units
from warranty.tests.factories import CustomerFactory, ProductModelFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def base():
    """Six units of two models, three owners in two regions and one unit without an owner.

    serial        model   sold        owner (region)
    AC100-0001    AC-100  2026-01-10  alice (east)
    AC100-0005    AC-100  2026-02-15  alice (east)
    AC100-0010    AC-100  2026-03-20  bob (west)
    AC100-0020    AC-100  2026-04-25  —
    FR200-0001    FR-200  2026-02-01  carol (west)
    FR200-0002    FR-200  2026-05-01  bob (west)
    """
    east = Region.objects.create(code="east", name="East")
    west = Region.objects.create(code="west", name="West")
    alice = CustomerFactory(name="Alice", region=east)
    bob = CustomerFactory(name="Bob", region=west)
    carol = CustomerFactory(name="Carol", region=west)
    ac, fr = ProductModelFactory(code="AC-100"), ProductModelFactory(code="FR-200")
    rows = [
        ("AC100-0001", ac, date(2026, 1, 10), alice),
        ("AC100-0005", ac, date(2026, 2, 15), alice),
        ("AC100-0010", ac, date(2026, 3, 20), bob),
        ("AC100-0020", ac, date(2026, 4, 25), None),
        ("FR200-0001", fr, date(2026, 2, 1), carol),
        ("FR200-0002", fr, date(2026, 5, 1), bob),
    ]
    for serial, model, sold, owner in rows:
        UnitFactory(serial=serial, product_model=model, purchase_date=sold, customer=owner)
    return {"alice": alice, "bob": bob, "carol": carol}


def incident_with(scope, staff) -> Incident:
    return Incident.objects.create(
        number=f"E-test-{Incident.objects.count() + 1}",
        incident_type="batch_failure",
        title="t",
        description="d",
        scope=scope,
        reporter=staff["coordinator"],
        reported_at="2026-11-24T10:00:00+08:00",
    )


@pytest.mark.parametrize(
    ("scope", "serials", "owners"),
    [
        ({"models": ["AC-100"]}, {"AC100-0001", "AC100-0005", "AC100-0010", "AC100-0020"}, {"alice", "bob"}),
        ({"models": ["FR-200"]}, {"FR200-0001", "FR200-0002"}, {"carol", "bob"}),
        (
            {"serial_from": "AC100-0005"},
            {"AC100-0005", "AC100-0010", "AC100-0020", "FR200-0001", "FR200-0002"},
            {"alice", "bob", "carol"},
        ),
        ({"serial_to": "AC100-0005"}, {"AC100-0001", "AC100-0005"}, {"alice"}),
        ({"serial_from": "AC100-0002", "serial_to": "AC100-0015"}, {"AC100-0005", "AC100-0010"}, {"alice", "bob"}),
        ({"sold_from": "2026-03-20"}, {"AC100-0010", "AC100-0020", "FR200-0002"}, {"bob"}),
        ({"sold_to": "2026-02-01"}, {"AC100-0001", "FR200-0001"}, {"alice", "carol"}),
        (
            {"sold_from": "2026-02-01", "sold_to": "2026-03-20"},
            {"AC100-0005", "AC100-0010", "FR200-0001"},
            {"alice", "bob", "carol"},
        ),
        ({"regions": ["west"]}, {"AC100-0010", "FR200-0001", "FR200-0002"}, {"bob", "carol"}),
        (
            {"regions": ["east", "west"]},
            {"AC100-0001", "AC100-0005", "AC100-0010", "FR200-0001", "FR200-0002"},
            {"alice", "bob", "carol"},
        ),
        # combined: every field narrows the set
        ({"models": ["AC-100"], "regions": ["west"]}, {"AC100-0010"}, {"bob"}),
        (
            {"models": ["AC-100"], "serial_from": "AC100-0005", "sold_to": "2026-04-30"},
            {"AC100-0005", "AC100-0010", "AC100-0020"},
            {"alice", "bob"},
        ),
        (
            {"models": ["AC-100", "FR-200"], "sold_from": "2026-02-01", "regions": ["west"]},
            {"AC100-0010", "FR200-0001", "FR200-0002"},
            {"bob", "carol"},
        ),
        ({"models": ["XX-999"]}, set(), set()),
        # a scope without unit fields names nobody (never the whole installed base)
        ({}, set(), set()),
    ],
)
def test_each_scope_field_and_their_combinations_resolve_to_the_hand_computed_set(base, staff, scope, serials, owners):
    incident = incident_with(scope, staff)
    assert set(incident_affected_units(incident).values_list("serial", flat=True)) == serials
    assert set(incident_affected_customer_ids(incident)) == {base[name].pk for name in owners}
    assert incident_affected(incident) == {"units": len(serials), "customers": len(owners), "notified": 0}


def test_the_counts_cost_two_queries(base, staff, django_assert_num_queries):
    incident = incident_with({"models": ["AC-100", "FR-200"]}, staff)
    with django_assert_num_queries(2):
        affected = incident_affected(incident)
    assert affected == {"units": 6, "customers": 3, "notified": 0}


def test_the_representation_carries_affected(base, staff):
    from rest_framework.test import APIClient

    incident = incident_with({"models": ["AC-100"], "regions": ["east"]}, staff)
    client = APIClient()
    client.force_authenticate(staff["supervisor"])
    body = client.get(f"/api/v1/incidents/{incident.number}/").json()
    assert body["affected"] == {"units": 2, "customers": 1, "notified": 0}
