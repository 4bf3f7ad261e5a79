"""``manage.py seed_demo`` for the warranty app: a catalogue, versioned policies and ≥ 50 units spread
over every warranty state, idempotent and made through the services."""

import io
import re
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from aftersales.core.models import Customer
from devdata.demo import core as core_demo
from devdata.demo import warranty as demo
from devdata.demo.core import DEMO_CUSTOMERS
from warranty.choices import ProductKind, ServiceMode
from warranty.models import (
    ComponentWarranty,
    ExtendedWarranty,
    ProductCategory,
    ProductModel,
    RegisteredUnit,
    WarrantyPolicy,
)
from warranty.services import warranty_decide

pytestmark = pytest.mark.django_db

SERIAL = re.compile(r"^(KFR35|RO400|SDP)-20\d\d-\d{6}$")


def seed_demo() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "categories": ProductCategory.objects.count(),
        "models": ProductModel.objects.count(),
        "policies": WarrantyPolicy.objects.count(),
        "component_warranties": ComponentWarranty.objects.count(),
        "units": RegisteredUnit.objects.count(),
        "contracts": ExtendedWarranty.objects.count(),
        "customers": Customer.objects.count(),
    }


def seed_warranty() -> str:
    """Core's demo (users, customers) and then this app's, as seed_demo runs them, without the
    other apps' demos (the ticket history alone takes a minute)."""
    out = io.StringIO()
    core_demo.seed(out)
    demo.seed(out)
    return out.getvalue()


@pytest.fixture
def seeded():
    return seed_warranty()


def test_seed_demo_loads_the_warranty_demo():
    output = seed_demo()

    assert ProductModel.objects.count() >= 3
    assert RegisteredUnit.objects.count() >= 50
    assert "warranty: 3 product models" in output


def test_seeding_twice_changes_nothing_the_second_time():
    first_output = seed_warranty()
    after_first = counts()
    serials = set(RegisteredUnit.objects.values_list("serial", flat=True))

    second_output = seed_warranty()

    assert counts() == after_first
    assert set(RegisteredUnit.objects.values_list("serial", flat=True)) == serials
    assert after_first["models"] >= 3
    assert after_first["units"] >= 50
    assert "4 policy versions (4 new), 54 registered units (54 new)" in first_output
    assert "4 policy versions (0 new), 54 registered units (0 new)" in second_output


def test_seeding_on_a_later_day_adds_no_second_set_of_units(time_machine):
    seed_warranty()
    after_first = counts()

    time_machine.move_to(timezone.now() + timedelta(days=400))
    seed_warranty()

    assert counts() == after_first


def test_the_demo_catalogue_has_the_three_kinds_of_product(seeded):
    models = {model.code: model for model in ProductModel.objects.select_related("category")}

    air_conditioner, purifier, software = models["KFR-35GW"], models["RO-400G"], models["SVC-DESK-PRO"]
    assert air_conditioner.kind == purifier.kind == ProductKind.HARDWARE
    assert software.kind == ProductKind.SOFTWARE
    assert {component.code for component in air_conditioner.components.all()} >= {"compressor"}
    assert {component.code for component in purifier.components.all()} >= {"filter"}


def test_the_air_conditioner_has_two_policy_versions_and_a_five_year_compressor(seeded):
    older, newer = WarrantyPolicy.objects.filter(product_model__code="KFR-35GW").order_by("version")

    assert (older.version, older.base_months) == (1, 12)
    assert (newer.version, newer.effective_from, newer.base_months) == (2, date(2026, 1, 1), 24)
    for policy in (older, newer):
        (compressor,) = policy.component_warranties.select_related("component")
        assert (compressor.component.code, compressor.months) == ("compressor", 60)


def test_purifier_charges_normal_wear_and_software_is_mail_in_without_travel(seeded):
    purifier = WarrantyPolicy.objects.get(product_model__code="RO-400G")
    software = WarrantyPolicy.objects.get(product_model__code="SVC-DESK-PRO")

    assert (purifier.base_months, purifier.exclusions["normal_wear"]) == (12, "chargeable")
    assert (software.base_months, software.service_mode, software.covers_travel) == (3, ServiceMode.MAIL_IN, False)


def test_demo_units_cover_every_warranty_state_today(seeded):
    today = timezone.localdate()
    units = list(RegisteredUnit.objects.select_related("product_model"))
    compressor = {
        model.code: model.components.filter(code="compressor").first() for model in ProductModel.objects.all()
    }
    states = {"in_base": 0, "expiring_30": 0, "expired": 0, "compressor_only": 0, "extended": 0}

    for unit in units:
        entitlement = warranty_decide(unit=unit, on_date=today).entitlement
        component = compressor[unit.product_model.code]
        with_compressor = (
            warranty_decide(unit=unit, on_date=today, component=component).entitlement if component else entitlement
        )
        if entitlement.basis == "extended":
            states["extended"] += 1
        elif entitlement.in_warranty:
            states["in_base"] += 1
            if entitlement.expires_on <= today + timedelta(days=30):
                states["expiring_30"] += 1
        elif with_compressor.in_warranty:
            states["compressor_only"] += 1
        else:
            states["expired"] += 1

    assert len(units) >= 50
    assert all(count >= 3 for count in states.values()), states


def test_demo_units_belong_to_the_demo_customers_and_have_label_like_serials(seeded):
    units = list(RegisteredUnit.objects.select_related("customer"))
    owners = {unit.customer.phone for unit in units if unit.customer}
    core_phones = {phone for _, phone, *_ in DEMO_CUSTOMERS}

    assert all(SERIAL.match(unit.serial) for unit in units), [unit.serial for unit in units][:5]
    assert owners & core_phones, "units are linked to core's demo customers"
    assert owners - core_phones, "and to the warranty demo's extra customers"
    assert len(owners) >= 8


def test_the_unit_plan_is_deterministic_for_a_day_and_has_unique_serials():
    first = demo.unit_plan(today=date(2026, 11, 24), customers=12)
    second = demo.unit_plan(today=date(2026, 11, 24), customers=12)

    assert first == second
    assert len({item.serial for item in first}) == len(first) >= 50


@pytest.mark.parametrize("today", [date(2026, 5, 1), date(2027, 2, 28), date(2028, 2, 29), date(2030, 12, 31)])
def test_the_unit_plan_works_on_any_day(today):
    # Month ends and leap days: the "expiring" units must still end within 30 days.
    plan = demo.unit_plan(today=today, customers=3)

    assert len(plan) >= 50
    assert all(item.purchase_date <= today for item in plan)
