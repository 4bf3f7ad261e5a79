"""The warranty admin: pages render for a supervisor and a superuser at a query count that does not
grow with rows, the warranty-status and expiry filters agree with the decision, the unit page explains
today's entitlement, policies and units are written through the services, and special replacements
are decided by admin actions. (Quotes are answered on their ticket: warranty/tests/test_access.py.)"""

import types
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import escape

from aftersales.core.services import customer_create
from conftest import SHANGHAI
from warranty import admin as warranty_admin
from warranty.admin_selectors import first_purchase_covering
from warranty.choices import ApprovalStatus
from warranty.models import ExtendedWarranty, ProductModel, RegisteredUnit, WarrantyChange, WarrantyPolicy
from warranty.periods import last_covered_day
from warranty.selectors import units_expiring
from warranty.services import (
    PartLine,
    extended_warranty_add,
    quote_create,
    special_replacement_request,
    warranty_decide,
    warranty_decision_record,
)
from warranty.services import units as units_service

from .factories import (
    ComponentFactory,
    ComponentWarrantyFactory,
    CustomerFactory,
    PolicyFactory,
    ProductCategoryFactory,
    ProductModelFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db

D = date.fromisoformat
TODAY = date(2026, 11, 24)


def url(name: str, *args) -> str:
    return reverse(f"admin:warranty_{name}", args=args)


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI), tick=False)
    return TODAY


@pytest.fixture
def air_conditioner():
    """v1 from 2020: 12 months, v2 from 2026: 24 months; the compressor 60 months in both."""
    category = ProductCategoryFactory(code="air-conditioner", name="空调")
    model = ProductModelFactory(code="KFR-35GW", name="Split air conditioner", category=category)
    compressor = ComponentFactory(product_model=model, code="compressor", name="compressor")
    for effective_from, months in (("2020-01-01", 12), ("2026-01-01", 24)):
        policy = PolicyFactory(product_model=model, effective_from=D(effective_from), base_months=months)
        ComponentWarrantyFactory(policy=policy, component=compressor, months=60)
    return model


@pytest.fixture
def purifier():
    model = ProductModelFactory(code="RO-400G", name="Water purifier", category=ProductCategoryFactory())
    ComponentFactory(product_model=model, code="filter", name="filter")
    PolicyFactory(product_model=model, effective_from=D("2020-01-01"), base_months=12)
    return model


@pytest.fixture
def customer():
    return customer_create(name="赵敏", phone="13800138001", address="北京市朝阳区建国路 88 号")


@pytest.fixture
def states(air_conditioner, purifier, customer):
    """One unit per warranty state on 2026-11-24."""
    units = {
        # v2, 24 months: until 2028-03-01.
        "in_base": UnitFactory(serial="AC-IN", product_model=air_conditioner, purchase_date=D("2026-03-01")),
        # 12 months ending 2026-12-10: inside the next 30 days.
        "expiring": UnitFactory(serial="RO-EXPIRING", product_model=purifier, purchase_date=D("2025-12-10")),
        # v1, base ended 2025-03-01; compressor until 2029-03-01.
        "compressor_only": UnitFactory(
            serial="AC-COMPRESSOR", product_model=air_conditioner, purchase_date=D("2024-03-01"), customer=customer
        ),
        # Ended 2025-01-01 and no component warranty.
        "expired": UnitFactory(serial="RO-EXPIRED", product_model=purifier, purchase_date=D("2024-01-01")),
        # Base ended 2025-06-01, a contract runs until 2027-06-01.
        "extended": UnitFactory(serial="RO-EXTENDED", product_model=purifier, purchase_date=D("2024-06-01")),
        # Out of everything, compressor included (v1, bought 2020-02-01).
        "ancient": UnitFactory(serial="AC-ANCIENT", product_model=air_conditioner, purchase_date=D("2020-02-01")),
    }
    extended_warranty_add(unit=units["extended"], reference="EXT-1", starts_on=D("2025-06-02"), ends_on=D("2027-06-01"))
    return units


@pytest.fixture
def staff_client(client, make_user):
    def login(role=None, *, superuser=False):
        user = make_user(role, superuser=superuser)
        client.force_login(user)
        return client

    return login


def changelist_serials(client, **params) -> list[str]:
    response = client.get(url("registeredunit_changelist"), params)
    assert response.status_code == 200, response.content[:500]
    return sorted(unit.serial for unit in response.context["cl"].result_list)


# --- every page renders at a fixed cost -----------------------------------------------------


def _add_rows(number: int, air_conditioner, purifier, actor) -> None:
    for _ in range(number):
        unit = UnitFactory(product_model=air_conditioner, purchase_date=D("2020-06-01"), customer=CustomerFactory())
        extended_warranty_add(unit=unit, reference=f"EXT-{unit.serial}", starts_on=TODAY, ends_on=D("2027-12-31"))
        decision = warranty_decision_record(decision=warranty_decide(unit=unit, on_date=TODAY), actor=actor)
        quote_create(decision=decision, parts=[PartLine("P1", "part", 1, Decimal("10"))], labour_hours=Decimal(1))
        special_replacement_request(unit=unit, reason="r", actor=actor, decision=decision)
        model = ProductModelFactory(category=air_conditioner.category)
        ComponentFactory(product_model=model)
        PolicyFactory(product_model=model)
        ProductCategoryFactory()


CHANGELISTS = [
    ("productcategory_changelist", {}),
    ("productmodel_changelist", {}),
    ("warrantypolicy_changelist", {}),
    ("registeredunit_changelist", {}),
    ("registeredunit_changelist", {"warranty": "in"}),
    ("registeredunit_changelist", {"warranty": "out"}),
    ("registeredunit_changelist", {"warranty": "component"}),
    ("registeredunit_changelist", {"warranty": "expiring30"}),
    ("registeredunit_changelist", {"expires": "2026-12"}),
    ("registeredunit_changelist", {"q": "SN"}),
    ("entitlementdecision_changelist", {}),
    ("quote_changelist", {}),
    ("specialreplacement_changelist", {}),
    ("extendedwarranty_changelist", {}),
]


@pytest.mark.parametrize("who", ["supervisor", "superuser"])
@pytest.mark.parametrize(("name", "params"), CHANGELISTS)
def test_changelists_render_at_a_query_count_independent_of_rows(
    staff_client, make_user, air_conditioner, purifier, who, name, params
):
    client = staff_client(None if who == "superuser" else who, superuser=who == "superuser")
    actor = make_user("agent")
    _add_rows(3, air_conditioner, purifier, actor)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url(name), params)
        assert response.status_code == 200, response.content[:500]
        assert response.context["cl"].result_count >= 1 or params
        return len(captured)

    count()
    with_few = count()
    _add_rows(10, air_conditioner, purifier, actor)

    assert count() == with_few


@pytest.mark.parametrize("who", ["supervisor", "superuser"])
def test_change_pages_render(staff_client, make_user, air_conditioner, states, who):
    client = staff_client(None if who == "superuser" else who, superuser=who == "superuser")
    unit = states["compressor_only"]
    decision = warranty_decision_record(decision=warranty_decide(unit=unit, on_date=TODAY), actor=make_user("agent"))
    quote = quote_create(decision=decision, parts=[PartLine("P1", "valve", 2, Decimal("35"))], labour_hours=Decimal(1))
    replacement = special_replacement_request(unit=unit, reason="again", actor=make_user("agent"))
    policy = WarrantyPolicy.objects.filter(product_model=air_conditioner).first()

    pages = [
        url("productcategory_change", air_conditioner.category_id),
        url("productmodel_change", air_conditioner.pk),
        url("warrantypolicy_change", policy.pk),
        url("registeredunit_change", unit.pk),
        url("entitlementdecision_change", decision.pk),
        url("quote_change", quote.pk),
        url("specialreplacement_change", replacement.pk),
        url("extendedwarranty_change", ExtendedWarranty.objects.get().pk),
        url("registeredunit_add"),
        url("specialreplacement_add"),
    ]
    if who == "superuser":
        pages += [url("warrantypolicy_add"), url("productmodel_add")]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, (page, response.content[:300])


def test_quote_page_lists_its_lines(staff_client, make_user, states):
    decision = warranty_decision_record(decision=warranty_decide(unit=states["expired"], on_date=TODAY))
    quote = quote_create(decision=decision, parts=[PartLine("VALVE-9", "valve", 2, Decimal("35"))], labour_hours=1)

    page = staff_client("supervisor").get(url("quote_change", quote.pk)).content.decode()

    assert "VALVE-9" in page


def test_decision_records_are_read_only_even_for_a_superuser(staff_client, states):
    decision = warranty_decision_record(decision=warranty_decide(unit=states["expired"], on_date=TODAY))
    client = staff_client(superuser=True)

    assert client.get(url("entitlementdecision_add")).status_code == 403
    assert client.post(url("entitlementdecision_delete", decision.pk), {"post": "yes"}).status_code == 403
    page = client.get(url("entitlementdecision_change", decision.pk)).content.decode()
    assert "Out of warranty" in page or "不在保修期" in page or "warranty-verdict" in page


# --- the unit page explains today's decision --------------------------------------------------


def test_unit_page_explains_todays_entitlement(staff_client, states):
    unit = states["compressor_only"]

    response = staff_client("supervisor").get(url("registeredunit_change", unit.pk), HTTP_ACCEPT_LANGUAGE="en")

    page = response.content.decode()
    entitlement = warranty_decide(unit=unit, on_date=TODAY).entitlement
    for reason in entitlement.reasons:
        assert escape(reason.render("en")) in page
    assert 'class="warranty-charges"' in page
    assert 'class="warranty-components"' in page
    assert "2029-03-01" in page  # the compressor's last covered day


def test_unit_page_shows_the_extended_contracts(staff_client, states):
    page = staff_client("agent").get(url("registeredunit_change", states["extended"].pk)).content.decode()

    assert "EXT-1" in page


# --- filters --------------------------------------------------------------------------------


def test_warranty_status_filters_agree_with_the_decision(staff_client, states):
    client = staff_client("supervisor")

    assert changelist_serials(client, warranty="in") == ["AC-IN", "RO-EXPIRING", "RO-EXTENDED"]
    assert changelist_serials(client, warranty="out") == ["AC-ANCIENT", "AC-COMPRESSOR", "RO-EXPIRED"]
    assert changelist_serials(client, warranty="component") == ["AC-COMPRESSOR"]
    assert changelist_serials(client, warranty="expiring30") == ["RO-EXPIRING"]
    for unit in states.values():
        in_warranty = warranty_decide(unit=unit, on_date=TODAY).entitlement.in_warranty
        assert (unit.serial in changelist_serials(client, warranty="in")) == in_warranty, unit.serial


def test_expiring_in_30_days_is_the_selectors_answer(staff_client, states):
    expected = sorted(units_expiring(today=TODAY, days=30).values_list("serial", flat=True))

    assert changelist_serials(staff_client("manager"), warranty="expiring30") == expected


def test_in_warranty_filter_matches_the_decision_for_every_purchase_day_around_the_edges(staff_client, air_conditioner):
    # Purchase days around both versions' edges (12 months under v1, 24 under v2) and month ends.
    purchases = [
        *(D("2025-11-20") + (D("2025-11-21") - D("2025-11-20")) * offset for offset in range(10)),
        D("2025-02-28"),
        D("2024-02-29"),
        D("2025-12-31"),
        D("2026-01-01"),
    ]
    for number, purchase in enumerate(purchases):
        UnitFactory(serial=f"EDGE-{number:02d}", product_model=air_conditioner, purchase_date=purchase)

    listed = set(changelist_serials(staff_client("supervisor"), warranty="in"))

    for unit in RegisteredUnit.objects.all():
        assert (unit.serial in listed) == warranty_decide(unit=unit, on_date=TODAY).entitlement.in_warranty, unit


def test_expiry_month_filter(staff_client, states):
    client = staff_client("supervisor")

    assert changelist_serials(client, expires="2026-12") == ["RO-EXPIRING"]
    assert changelist_serials(client, expires="2028-03") == ["AC-IN"]
    assert changelist_serials(client, expires="2025-03") == ["AC-COMPRESSOR"]
    response = client.get(url("registeredunit_changelist"), {"expires": "someday"})
    assert response.status_code == 302 and "e=1" in response["Location"]  # the admin's "invalid lookup" answer


@pytest.mark.parametrize(("months", "day"), [(12, D("2026-02-28")), (1, D("2026-03-31")), (24, D("2028-02-29"))])
def test_first_purchase_covering_is_the_exact_edge(months, day):
    first = first_purchase_covering(months, day)

    assert last_covered_day(first, months) >= day
    assert last_covered_day(first - (D("2026-01-02") - D("2026-01-01")), months) < day


# --- search and privacy ---------------------------------------------------------------------


def test_supervisor_finds_units_by_the_customers_phone_however_typed(staff_client, states):
    client = staff_client("supervisor")

    assert changelist_serials(client, q="138 0013 8001") == ["AC-COMPRESSOR"]
    assert changelist_serials(client, q="ro-expi") == ["RO-EXPIRED", "RO-EXPIRING"]
    assert "13800138001" in client.get(url("registeredunit_changelist")).content.decode()


def test_manager_neither_sees_nor_searches_phone_numbers(staff_client, states):
    client = staff_client("manager")

    page = client.get(url("registeredunit_changelist")).content.decode()

    assert "13800138001" not in page
    assert "138****8001" in page
    assert changelist_serials(client, q="13800138001") == []


def test_search_with_a_nul_character_is_not_a_500(staff_client, states):
    # The admin's search form refuses it (with a message) and lists everything.
    assert len(changelist_serials(staff_client("supervisor"), q="AC\x00")) == len(states)


# --- writes through the services -------------------------------------------------------------


def _policy_form(**changes) -> dict:
    data = {
        "product_model": "",
        "effective_from": "2027-01-01",
        "base_months": "36",
        "covers_parts": "on",
        "covers_labour": "on",
        "service_mode": "on_site",
        "return_window_months": "6",
        "exchange_window_days": "15",
        "exchange_on_design_defect": "on",
        "exclusions": '{"liquid": "parts_at_cost"}',
        "labour_rate": "80.00",
        "travel_fee": "50.00",
        "notes": "",
        "component_warranties-TOTAL_FORMS": "0",
        "component_warranties-INITIAL_FORMS": "0",
        "component_warranties-MIN_NUM_FORMS": "0",
        "component_warranties-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


def test_adding_a_policy_in_the_admin_numbers_the_next_version(staff_client, air_conditioner):
    compressor = air_conditioner.components.get(code="compressor")

    response = staff_client(superuser=True).post(
        url("warrantypolicy_add"),
        _policy_form(
            product_model=air_conditioner.pk,
            **{
                "component_warranties-TOTAL_FORMS": "1",
                "component_warranties-0-component": compressor.pk,
                "component_warranties-0-months": "96",
                "component_warranties-0-covers_parts": "on",
            },
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    policy = WarrantyPolicy.objects.get(product_model=air_conditioner, effective_from=D("2027-01-01"))
    assert (policy.version, policy.base_months) == (3, 36)
    assert [(item.component.code, item.months) for item in policy.component_warranties.all()] == [("compressor", 96)]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"effective_from": "2026-01-01"}, "__all__"),
        ({"exclusions": '{"quality_defect": "chargeable"}'}, "exclusions"),
        ({"exclusions": '{"liquid": "free"}'}, "exclusions"),
        ({"base_months": "300"}, "base_months"),
    ],
)
def test_invalid_policy_in_the_admin_is_a_form_error(staff_client, air_conditioner, changes, field):
    response = staff_client(superuser=True).post(
        url("warrantypolicy_add"), _policy_form(product_model=air_conditioner.pk, **changes)
    )

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert WarrantyPolicy.objects.filter(product_model=air_conditioner).count() == 2


def test_a_component_of_another_model_is_refused_in_the_policy_inline(staff_client, air_conditioner, purifier):
    response = staff_client(superuser=True).post(
        url("warrantypolicy_add"),
        _policy_form(
            product_model=air_conditioner.pk,
            **{
                "component_warranties-TOTAL_FORMS": "1",
                "component_warranties-0-component": purifier.components.get().pk,
                "component_warranties-0-months": "24",
            },
        ),
    )

    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors[0]["component"]
    assert not WarrantyPolicy.objects.filter(effective_from=D("2027-01-01")).exists()


def test_existing_policy_keeps_model_version_and_effective_date(staff_client, air_conditioner):
    policy = WarrantyPolicy.objects.get(product_model=air_conditioner, version=1)

    response = staff_client(superuser=True).get(url("warrantypolicy_change", policy.pk))

    form = response.context["adminform"].form
    assert {"product_model", "version", "effective_from"}.isdisjoint(form.fields)


def _unit_form(**changes) -> dict:
    data = {
        "serial": "",
        "product_model": "",
        "customer": "",
        "purchase_date": "2026-11-01",
        "sales_channel": "online",
        "install_date": "",
        "extended_warranties-TOTAL_FORMS": "0",
        "extended_warranties-INITIAL_FORMS": "0",
        "extended_warranties-MIN_NUM_FORMS": "0",
        "extended_warranties-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


def test_agent_registers_a_unit_in_the_admin_with_the_serial_normalised(staff_client, air_conditioner, customer):
    response = staff_client("agent").post(
        url("registeredunit_add"),
        _unit_form(serial=" kfr35-2026-000900 ", product_model=air_conditioner.pk, customer=customer.pk),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    unit = RegisteredUnit.objects.get(serial="KFR35-2026-000900")
    assert (unit.customer, unit.sales_channel) == (customer, "online")


def test_supervisor_registers_a_unit_with_an_extended_contract(staff_client, air_conditioner):
    response = staff_client("supervisor").post(
        url("registeredunit_add"),
        _unit_form(
            serial="KFR35-2026-000901",
            product_model=air_conditioner.pk,
            **{
                "extended_warranties-TOTAL_FORMS": "1",
                "extended_warranties-0-reference": "EXT-NEW",
                "extended_warranties-0-starts_on": "2028-11-02",
                "extended_warranties-0-ends_on": "2030-11-01",
                "extended_warranties-0-covers_parts": "on",
                "extended_warranties-0-price": "399.00",
            },
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    (contract,) = ExtendedWarranty.objects.filter(unit__serial="KFR35-2026-000901")
    assert (contract.reference, contract.ends_on) == ("EXT-NEW", D("2030-11-01"))


def test_a_serial_in_another_case_is_a_form_error_not_a_500(staff_client, states, air_conditioner):
    response = staff_client("agent").post(
        url("registeredunit_add"), _unit_form(serial="ac-in", product_model=air_conditioner.pk)
    )

    assert response.status_code == 200
    assert "serial" in response.context["adminform"].form.errors
    assert RegisteredUnit.objects.filter(serial__iexact="ac-in").count() == 1


def test_install_date_before_purchase_is_a_form_error_on_the_change_page(staff_client, states):
    unit = states["in_base"]

    response = staff_client("agent").post(
        url("registeredunit_change", unit.pk),
        _unit_form(purchase_date="", install_date="2026-01-01", sales_channel="online"),
    )

    assert response.status_code == 200
    assert "install_date" in response.context["adminform"].form.errors


def test_changing_a_unit_keeps_serial_model_and_purchase_date(staff_client, states, customer):
    unit = states["in_base"]

    response = staff_client("agent").post(
        url("registeredunit_change", unit.pk),
        _unit_form(customer=customer.pk, sales_channel="project", install_date="2026-03-05"),
    )

    assert response.status_code == 302
    unit.refresh_from_db()
    assert (unit.serial, unit.purchase_date, unit.customer, unit.sales_channel) == (
        "AC-IN",
        D("2026-03-01"),
        customer,
        "project",
    )


# --- pages written by one service call ----------------------------------------------------------


def test_a_refusal_by_the_service_is_a_form_error_and_nothing_is_half_written(
    staff_client, air_conditioner, monkeypatch
):
    # The form and the inline accept the contract; the service refuses it after registering the unit
    # (as it would for a reference taken meanwhile): the page shows why and keeps nothing.
    def refuse(**kwargs):
        raise ValidationError({"reference": "This contract reference was taken meanwhile."})

    monkeypatch.setattr(units_service, "extended_warranty_add", refuse)

    response = staff_client("supervisor").post(
        url("registeredunit_add"),
        _unit_form(
            serial="KFR35-2026-000950",
            product_model=air_conditioner.pk,
            **{
                "extended_warranties-TOTAL_FORMS": "1",
                "extended_warranties-0-reference": "EXT-RACE",
                "extended_warranties-0-starts_on": "2028-11-02",
                "extended_warranties-0-ends_on": "2030-11-01",
                "extended_warranties-0-price": "399.00",
            },
        ),
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.non_field_errors() == ["This contract reference was taken meanwhile."]
    assert form["serial"].value() == "KFR35-2026-000950"  # the input is kept
    assert not RegisteredUnit.objects.filter(serial="KFR35-2026-000950").exists()
    assert not WarrantyChange.objects.filter(subject="extended_warranty").exists()


def test_a_model_is_added_with_its_components_by_one_logged_service_call(staff_client, air_conditioner):
    admin_user_client = staff_client(superuser=True)

    response = admin_user_client.post(
        url("productmodel_add"),
        {
            "code": "KFR-72LW",
            "name": "Floor-standing",
            "category": air_conditioner.category_id,
            "kind": "hardware",
            "is_active": "on",
            "components-TOTAL_FORMS": "2",
            "components-INITIAL_FORMS": "0",
            "components-MIN_NUM_FORMS": "0",
            "components-MAX_NUM_FORMS": "1000",
            "components-0-code": "compressor",
            "components-0-name": "Compressor",
            "components-1-code": "fan",
            "components-1-name": "Fan",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    model = ProductModel.objects.get(code="KFR-72LW")
    assert sorted(model.components.values_list("code", flat=True)) == ["compressor", "fan"]
    (created,) = WarrantyChange.objects.filter(subject="product_model", object_id=model.pk)
    assert len(created.changes["components"]["to"]) == 2
    assert response.url.endswith(url("productmodel_changelist"))
    # The admin's own history names the saved row.
    assert admin_user_client.get(url("productmodel_history", model.pk)).status_code == 200
    form = admin_user_client.get(url("productmodel_change", model.pk)).context["adminform"].form
    assert "code" not in form.fields  # the model's address, fixed once created


def test_a_policy_version_is_corrected_in_the_admin_and_the_correction_is_logged(staff_client, air_conditioner):
    policy = WarrantyPolicy.objects.get(product_model=air_conditioner, version=2)
    (period,) = policy.component_warranties.all()
    client = staff_client(superuser=True)

    response = client.post(
        url("warrantypolicy_change", policy.pk),
        _policy_form(
            base_months="30",
            **{
                "component_warranties-TOTAL_FORMS": "1",
                "component_warranties-INITIAL_FORMS": "1",
                "component_warranties-0-id": period.pk,
                "component_warranties-0-policy": policy.pk,
                "component_warranties-0-component": period.component_id,
                "component_warranties-0-months": "96",
                "component_warranties-0-covers_parts": "on",
            },
        ),
    )

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    policy.refresh_from_db()
    assert (policy.version, policy.effective_from, policy.base_months) == (2, D("2026-01-01"), 30)
    assert policy.component_warranties.get().months == 96
    change = WarrantyChange.objects.filter(subject="policy", object_id=policy.pk, action="changed").get()
    assert change.changes["base_months"] == {"from": 24, "to": 30}
    assert change.changes["component_warranties"]["compressor"]["to"]["months"] == 96
    page = staff_client("supervisor").get(url("warrantypolicy_change", policy.pk)).content.decode()
    assert "base_months: 24 → 30" in page


def test_a_unit_change_is_logged_and_only_an_administrator_corrects_a_purchase_date(staff_client, states, customer):
    unit = states["in_base"]
    form = _unit_form(customer=customer.pk, sales_channel="project", purchase_date="2026-02-20")

    assert staff_client("agent").post(url("registeredunit_change", unit.pk), form).status_code == 302
    unit.refresh_from_db()
    assert (unit.customer, unit.purchase_date) == (customer, D("2026-03-01"))  # the agent's date is ignored
    assert staff_client(superuser=True).post(url("registeredunit_change", unit.pk), form).status_code == 302
    unit.refresh_from_db()
    assert unit.purchase_date == D("2026-02-20")

    agent_change, admin_change = WarrantyChange.objects.filter(unit_id=unit.pk).order_by("id")
    assert set(agent_change.changes) == {"customer", "sales_channel"}
    assert admin_change.changes == {"purchase_date": {"from": "2026-03-01", "to": "2026-02-20"}}
    assert agent_change.actor.groups.filter(name="agent").exists() and admin_change.actor.is_superuser


@pytest.mark.parametrize(
    ("role", "allowed"), [("supervisor", True), ("manager", True), ("agent", False), ("technician", False)]
)
def test_the_change_log_is_read_by_supervisors_and_managers(staff_client, states, role, allowed):
    unit = states["in_base"]
    client = staff_client(role)

    listed = client.get(url("warrantychange_changelist"))
    unit_page = client.get(url("registeredunit_change", unit.pk)).content.decode()

    assert listed.status_code == (200 if allowed else 403)
    assert ("field-change_history" in unit_page) is allowed


# --- actions --------------------------------------------------------------------------------


def _act(client, changelist: str, action: str, *objects):
    return client.post(
        url(changelist), {"action": action, ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], "index": 0}, follow=True
    )


@pytest.fixture
def replacements(states, make_user):
    agent = make_user("agent")
    return [special_replacement_request(unit=states["expired"], reason=f"case {n}", actor=agent) for n in range(2)]


def test_supervisor_approves_and_rejects_replacements(staff_client, replacements):
    client = staff_client("supervisor")

    _act(client, "specialreplacement_changelist", "approve", replacements[0])
    _act(client, "specialreplacement_changelist", "reject", replacements[1])

    for replacement in replacements:
        replacement.refresh_from_db()
        assert replacement.decided_by is not None
    assert [item.status for item in replacements] == [ApprovalStatus.APPROVED, ApprovalStatus.REJECTED]


def test_a_decided_replacement_is_not_decided_again(staff_client, replacements):
    client = staff_client("supervisor")
    _act(client, "specialreplacement_changelist", "reject", replacements[0])

    response = _act(client, "specialreplacement_changelist", "approve", replacements[0])

    replacements[0].refresh_from_db()
    assert replacements[0].status == ApprovalStatus.REJECTED
    assert [message.level_tag for message in response.context["messages"]] == ["warning"]


@pytest.mark.parametrize("role", ["agent", "technician", "manager"])
def test_only_approvers_are_offered_the_replacement_actions(staff_client, replacements, role):
    client = staff_client(role)

    page = client.get(url("specialreplacement_changelist"))
    _act(client, "specialreplacement_changelist", "approve", replacements[0])

    assert page.status_code == (403 if role == "manager" else 200)
    assert 'value="approve"' not in page.content.decode()
    replacements[0].refresh_from_db()
    assert replacements[0].status == ApprovalStatus.PENDING


def test_a_supervisor_cannot_approve_their_own_request(staff_client, make_user, states):
    supervisor = make_user("supervisor")
    own = special_replacement_request(unit=states["expired"], reason="mine", actor=supervisor)
    from django.test import Client

    client = Client()
    client.force_login(supervisor)

    response = _act(client, "specialreplacement_changelist", "approve", own)

    own.refresh_from_db()
    assert own.status == ApprovalStatus.PENDING
    assert [message.level_tag for message in response.context["messages"]] == ["warning"]


def test_agent_requests_a_replacement_in_the_admin(staff_client, states):
    unit = states["expired"]

    response = staff_client("agent").post(
        url("specialreplacement_add"), {"unit": unit.pk, "decision": "", "reason": "  Burnt out twice  "}
    )

    assert response.status_code == 302
    replacement = unit.special_replacements.get()
    assert (replacement.reason, replacement.status, replacement.requested_by.groups.get().name) == (
        "Burnt out twice",
        ApprovalStatus.PENDING,
        "agent",
    )


# --- the import pages' hook -------------------------------------------------------------------


def test_unit_list_links_to_the_import_page_when_it_is_installed(staff_client, states):
    page = staff_client("agent").get(url("registeredunit_changelist")).content.decode()
    manager_page = staff_client("manager").get(url("registeredunit_changelist")).content.decode()

    try:
        import_url = reverse("admin:warranty_unit_import")
    except NoReverseMatch:
        assert "import-units" not in page
    else:
        assert f'href="{import_url}"' in page
        assert "import-units" not in manager_page  # managers may not register units


def test_get_urls_puts_the_import_pages_first_when_the_module_provides_them(monkeypatch):
    model_admin = admin.site._registry[RegisteredUnit]
    fake = types.SimpleNamespace(
        import_urls=lambda site: [path("import/", lambda request: HttpResponse(), name="warranty_unit_import")]
    )

    monkeypatch.setattr(warranty_admin, "admin_import", fake)
    with_import = model_admin.get_urls()
    monkeypatch.setattr(warranty_admin, "admin_import", None)
    without = model_admin.get_urls()

    assert with_import[0].name == "warranty_unit_import"
    assert len(with_import) == len(without) + 1
    assert "warranty_unit_import" not in [pattern.name for pattern in without]


def test_a_future_purchase_date_is_a_form_error(staff_client, air_conditioner):
    response = staff_client("agent").post(
        url("registeredunit_add"),
        _unit_form(serial="KFR35-2026-000902", product_model=air_conditioner.pk, purchase_date="2026-12-01"),
    )

    assert response.status_code == 200
    assert "purchase_date" in response.context["adminform"].form.errors


def test_a_unit_bought_at_the_end_of_the_calendar_does_not_break_the_pages(staff_client, air_conditioner):
    # Registered by another channel (an import, a shell) with a mistyped year.
    # (the services refuse such a date now; the row is written the way an old import would have)
    unit = RegisteredUnit.objects.create(
        serial="TYPO-9999", product_model=air_conditioner, purchase_date=D("9999-12-30")
    )
    client = staff_client("supervisor")

    assert client.get(url("registeredunit_changelist")).status_code == 200
    assert client.get(url("registeredunit_change", unit.pk)).status_code == 200
