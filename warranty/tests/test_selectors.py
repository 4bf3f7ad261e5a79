"""Selectors: finding units by serial, and the units whose warranty expires soon (one query)."""

from datetime import date, timedelta

import pytest

from warranty.models import ProductCategory, ProductModel
from warranty.periods import last_covered_day
from warranty.selectors import unit_by_serial, units_expiring
from warranty.services import policy_create, unit_register, warranty_decide

pytestmark = pytest.mark.django_db
D = date.fromisoformat
TODAY = D("2026-11-24")


@pytest.fixture
def product_model():
    category = ProductCategory.objects.create(code="wp", name="Water purifiers")
    model = ProductModel.objects.create(code="WP-500", name="Water purifier", category=category)
    policy_create(product_model=model, effective_from=D("2020-01-01"), base_months=12)
    policy_create(product_model=model, effective_from=D("2026-01-01"), base_months=24)
    return model


def test_unit_by_serial_matches_however_it_was_typed(product_model):
    unit = unit_register(serial="wp-0001", product_model=product_model, purchase_date=D("2026-01-31"))
    assert unit_by_serial(" wp-0001 ") == unit
    assert unit_by_serial("WP-0001") == unit
    assert unit_by_serial("WP-0002") is None
    assert unit_by_serial("") is None


def test_units_expiring_agrees_with_the_decision_for_every_purchase_day(product_model, django_assert_num_queries):
    # One unit for every purchase day over the two policy versions' span.
    first_day = D("2024-10-01")
    units = [
        unit_register(serial=f"WP-{n:05d}", product_model=product_model, purchase_date=first_day + timedelta(days=n))
        for n in range(0, 800, 1)
        if first_day + timedelta(days=n) <= TODAY
    ]

    with django_assert_num_queries(2):  # the policies, then the units
        expiring = set(units_expiring(today=TODAY, days=30))

    expected = set()
    for unit in units:
        entitlement = warranty_decide(unit=unit, on_date=TODAY).entitlement
        if entitlement.in_warranty and entitlement.expires_on <= TODAY + timedelta(days=30):
            expected.add(unit)
    assert expiring == expected
    assert expected  # the span really contains expiring units
    assert all(last_covered_day(unit.purchase_date, 12) >= TODAY for unit in expiring if unit.purchase_date.year < 2026)
