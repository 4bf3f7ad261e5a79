"""The staff warranty API (``/api/v1/warranty/``): what each role may do, the decision endpoint,
quotes and special replacements, privacy of customer data, validation and list query counts.

Every refusal is checked for the ``{"detail", "code"}`` body of CONTRACT.md §4.
"""

import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from aftersales.core.services import customer_create
from conftest import ALL_ROLES, SHANGHAI
from warranty.choices import ApprovalStatus, QuoteStatus
from warranty.entitlement import Reason
from warranty.models import (
    EntitlementDecision,
    ProductModel,
    Quote,
    RegisteredUnit,
    SpecialReplacement,
    WarrantyChange,
    WarrantyPolicy,
)
from warranty.selectors import units_expiring
from warranty.services import (
    PartLine,
    quote_create,
    special_replacement_request,
    warranty_decide,
    warranty_decision_record,
)

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
API = "/api/v1/warranty"
SERIAL = "KFR35-2025-000123"
PDF = b"%PDF-1.7\n% invoice\n"
NO_ROLE = None
ROLES_AND_NONE = [*ALL_ROLES, NO_ROLE]


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"]
    assert isinstance(body["code"], str) and body["code"]
    if code is not None:
        assert body["code"] == code, body
    return body


def expect(role, allowed: set) -> int:
    return 200 if role in allowed else 403


# --- data -----------------------------------------------------------------------------------


@pytest.fixture
def today(time_machine):
    time_machine.move_to(datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI), tick=False)
    return date(2026, 11, 24)


@pytest.fixture
def air_conditioner():
    """KFR-35GW: v1 (2020) 12 months, v2 (2026) 24 months; the compressor 60 months in both."""
    category = ProductCategoryFactory(code="air-conditioner", name="空调")
    model = ProductModelFactory(code="KFR-35GW", name="Split air conditioner", category=category)
    compressor = ComponentFactory(product_model=model, code="compressor", name="compressor")
    ComponentFactory(product_model=model, code="main-board", name="main board")
    for effective_from, months in (("2020-01-01", 12), ("2026-01-01", 24)):
        policy = PolicyFactory(product_model=model, effective_from=D(effective_from), base_months=months)
        ComponentWarrantyFactory(policy=policy, component=compressor, months=60)
    return model


@pytest.fixture
def purifier():
    category = ProductCategoryFactory(code="water-purifier", name="净水器")
    model = ProductModelFactory(code="RO-400G", name="Water purifier", category=category)
    PolicyFactory(product_model=model, effective_from=D("2020-01-01"), base_months=12)
    return model


@pytest.fixture
def customer():
    return customer_create(name="赵敏", phone="13800138001", address="北京市朝阳区建国路 88 号")


@pytest.fixture
def unit(air_conditioner, customer):
    """Bought 2025-06-01 under v1: base warranty until 2026-06-01, compressor until 2030-06-01."""
    return UnitFactory(serial=SERIAL, product_model=air_conditioner, purchase_date=D("2025-06-01"), customer=customer)


@pytest.fixture
def old_unit(air_conditioner, customer):
    """Bought 2020-03-01: out of every warranty by 2026."""
    return UnitFactory(
        serial="KFR35-2020-000007", product_model=air_conditioner, purchase_date=D("2020-03-01"), customer=customer
    )


@pytest.fixture
def chargeable_decision(old_unit, make_user):
    decision = warranty_decide(unit=old_unit, on_date=D("2026-11-24"))
    return warranty_decision_record(decision=decision, actor=make_user("agent"))


@pytest.fixture
def quote(chargeable_decision):
    return quote_create(
        decision=chargeable_decision,
        parts=[PartLine("PCB-35", "main board", 1, Decimal("420.00"))],
        labour_hours=Decimal("1.5"),
    )


@pytest.fixture
def replacement(unit, make_user):
    return special_replacement_request(unit=unit, reason="Third failure in a month", actor=make_user("agent"))


# --- who may do what ------------------------------------------------------------------------

READ_PATHS = [
    f"{API}/models/",
    f"{API}/models/KFR-35GW/",
    f"{API}/policies/",
    f"{API}/units/",
    f"{API}/units/{SERIAL}/",
]


@pytest.mark.parametrize("role", ROLES_AND_NONE)
@pytest.mark.parametrize("path", READ_PATHS)
def test_every_role_reads_the_catalogue_policies_and_units_but_a_user_without_role_nothing(api_as, unit, role, path):
    response = api_as(role).get(path)

    if role is NO_ROLE:
        assert_error(response, 403, "permission_denied")
    else:
        assert response.status_code == 200, response.content


@pytest.mark.parametrize("path", [*READ_PATHS, f"{API}/units/{SERIAL}/decision/", f"{API}/quotes/"])
def test_anonymous_requests_are_refused_with_401(unit, path):
    assert_error(APIClient().get(path), 401, "not_authenticated")


@pytest.mark.parametrize("role", ROLES_AND_NONE)
def test_catalogue_and_policies_are_written_by_administrators_only(api_as, air_conditioner, role):
    client = api_as(role)

    model = client.post(f"{API}/models/", {"code": "X-1", "name": "x", "category": "air-conditioner"}, format="json")
    change = client.patch(f"{API}/models/KFR-35GW/", {"name": "renamed"}, format="json")
    policy = client.post(
        f"{API}/policies/", {"model": "KFR-35GW", "effective_from": "2027-01-01", "base_months": 36}, format="json"
    )

    for response in (model, change, policy):
        assert_error(response, 403)
    assert not ProductModel.objects.filter(code="X-1").exists()
    assert WarrantyPolicy.objects.filter(product_model=air_conditioner).count() == 2


@pytest.mark.parametrize("role", ROLES_AND_NONE)
def test_registering_units_is_for_agents_and_supervisors(api_as, air_conditioner, role, today):
    response = api_as(role).post(
        f"{API}/units/", {"serial": "NEW-1", "model": "KFR-35GW", "purchase_date": "2026-11-01"}, format="json"
    )

    if role in {"agent", "supervisor"}:
        assert response.status_code == 201, response.content
    else:
        assert_error(response, 403)


@pytest.mark.parametrize("role", ROLES_AND_NONE)
def test_attaching_a_proof_of_purchase_is_for_agents_and_supervisors(api_as, unit, role, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("invoice.pdf", PDF, content_type="application/pdf")

    response = api_as(role).post(f"{API}/units/{SERIAL}/proof/", {"proof_of_purchase": upload}, format="multipart")

    if role in {"agent", "supervisor"}:
        assert response.status_code == 200, response.content
    else:
        assert_error(response, 403)


@pytest.mark.parametrize("role", ROLES_AND_NONE)
def test_decisions_are_looked_up_by_staff_who_decide_or_report(api_as, unit, role):
    response = api_as(role).get(f"{API}/units/{SERIAL}/decision/", {"date": "2026-03-01"})

    if role in {"agent", "technician", "supervisor", "manager"}:
        assert response.status_code == 200, response.content
    else:
        assert_error(response, 403)


def test_a_get_never_records_a_decision(api_as, unit):
    response = api_as("supervisor").get(f"{API}/units/{SERIAL}/decision/", {"date": "2026-03-01", "record": "true"})
    assert_error(response, 400)
    assert not EntitlementDecision.objects.exists()


@pytest.mark.parametrize("role", ROLES_AND_NONE)
def test_recording_a_decision_needs_the_add_permission(api_as, unit, role):
    response = api_as(role).post(f"{API}/units/{SERIAL}/decision/", {"date": "2026-03-01"})

    if role in {"agent", "technician", "supervisor"}:
        assert response.status_code == 200, response.content
        assert EntitlementDecision.objects.filter(pk=response.json()["decision_id"]).exists()
    else:
        assert_error(response, 403)
        assert not EntitlementDecision.objects.exists()


@pytest.mark.parametrize("role", ROLES_AND_NONE)
def test_quotes_are_made_by_agents_technicians_and_supervisors(api_as, chargeable_decision, role):
    client = api_as(role)

    created = client.post(f"{API}/quotes/", {"decision": chargeable_decision.pk, "labour_hours": "1"}, format="json")
    listed = client.get(f"{API}/quotes/")

    if role in {"agent", "technician", "supervisor"}:
        assert created.status_code == 201, created.content
    else:
        assert_error(created, 403)
    assert listed.status_code == expect(role, {"agent", "technician", "supervisor", "manager"})


@pytest.mark.parametrize("role", ROLES_AND_NONE)
def test_special_replacements_are_requested_by_case_handlers_and_decided_by_supervisors(
    api_as, unit, replacement, role
):
    client = api_as(role)

    requested = client.post(f"{API}/replacements/", {"unit": SERIAL, "reason": "Keeps failing"}, format="json")
    decided = client.post(f"{API}/replacements/{replacement.pk}/decide/", {"approve": True}, format="json")

    if role in {"agent", "technician", "supervisor"}:
        assert requested.status_code == 201, requested.content
    else:
        assert_error(requested, 403)
    if role == "supervisor":
        assert decided.status_code == 200, decided.content
        assert decided.json()["status"] == ApprovalStatus.APPROVED
    else:
        assert_error(decided, 403)
        replacement.refresh_from_db()
        assert replacement.status == ApprovalStatus.PENDING


@pytest.mark.parametrize("role", ROLES_AND_NONE)
def test_stored_decisions_are_readable_by_deciding_and_reporting_roles(api_as, chargeable_decision, role):
    response = api_as(role).get(f"{API}/decisions/")

    assert response.status_code == expect(role, {"agent", "technician", "supervisor", "manager"})


def test_superuser_creates_and_updates_a_product_model(api_as, air_conditioner):
    client = api_as(superuser=True)

    created = client.post(
        f"{API}/models/",
        {"code": "KFR-50LW", "name": "Floor-standing", "category": "air-conditioner", "kind": "hardware"},
        format="json",
    )
    changed = client.patch(f"{API}/models/KFR-50LW/", {"is_active": False}, format="json")

    assert created.status_code == 201, created.content
    assert created.json()["components"] == []
    assert changed.status_code == 200, changed.content
    assert ProductModel.objects.get(code="KFR-50LW").is_active is False


# --- catalogue ------------------------------------------------------------------------------


def test_model_list_shows_category_and_components_and_filters(api_as, air_conditioner, purifier):
    client = api_as("agent")

    everything = client.get(f"{API}/models/").json()["results"]
    by_category = client.get(f"{API}/models/", {"category": "water-purifier"}).json()["results"]
    searched = client.get(f"{API}/models/", {"search": "split"}).json()["results"]
    software = client.get(f"{API}/models/", {"kind": "software"}).json()["results"]

    assert [row["code"] for row in everything] == ["KFR-35GW", "RO-400G"]
    assert everything[0]["category"] == "air-conditioner"
    assert everything[0]["components"] == [
        {"code": "compressor", "name": "compressor"},
        {"code": "main-board", "name": "main board"},
    ]
    assert [row["code"] for row in by_category] == ["RO-400G"]
    assert [row["code"] for row in searched] == ["KFR-35GW"]
    assert software == []


def test_model_is_addressed_by_its_code(api_as, air_conditioner):
    body = api_as("technician").get(f"{API}/models/KFR-35GW/").json()

    assert body["code"] == "KFR-35GW"
    assert_error(api_as("technician").get(f"{API}/models/NOPE/"), 404, "not_found")


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"code": "KFR-35GW", "name": "dup", "category": "air-conditioner"}, id="duplicate-code"),
        pytest.param({"code": "A/B", "name": "slash", "category": "air-conditioner"}, id="slash-in-code"),
        pytest.param({"code": "X", "name": "x", "category": "nowhere"}, id="unknown-category"),
        pytest.param({"code": "X", "name": "x", "category": "air-conditioner", "kind": "firmware"}, id="bad-kind"),
        pytest.param({"code": "X" * 51, "name": "x", "category": "air-conditioner"}, id="code-too-long"),
        pytest.param({"code": ["X"], "name": {"a": 1}, "category": 5}, id="wrong-types"),
    ],
)
def test_invalid_product_models_are_400(api_as, air_conditioner, payload):
    assert_error(api_as(superuser=True).post(f"{API}/models/", payload, format="json"), 400)


def test_model_code_cannot_be_changed(api_as, air_conditioner):
    response = api_as(superuser=True).patch(f"{API}/models/KFR-35GW/", {"code": "NEW"}, format="json")

    body = assert_error(response, 400)
    assert "code" in body


# --- policies -------------------------------------------------------------------------------


def test_policy_list_nests_component_warranties_and_filters_by_model(api_as, air_conditioner, purifier):
    client = api_as("manager")

    rows = client.get(f"{API}/policies/", {"model": "KFR-35GW"}).json()["results"]

    assert [(row["model"], row["version"], row["base_months"]) for row in rows] == [
        ("KFR-35GW", 2, 24),
        ("KFR-35GW", 1, 12),
    ]
    assert rows[0]["component_warranties"] == [
        {
            "component": "compressor",
            "component_name": "compressor",
            "months": 60,
            "covers_parts": True,
            "covers_labour": False,
            "covers_travel": False,
        }
    ]
    assert len(client.get(f"{API}/policies/").json()["results"]) == 3


def test_superuser_creates_the_next_policy_version_with_component_warranties(api_as, air_conditioner):
    response = api_as(superuser=True).post(
        f"{API}/policies/",
        {
            "model": "KFR-35GW",
            "effective_from": "2027-01-01",
            "base_months": 36,
            "service_mode": "both",
            "exclusions": {"liquid": "chargeable"},
            "labour_rate": "95.00",
            "component_warranties": [
                {"component": "compressor", "months": 96, "covers_labour": True},
                {"component": "main-board", "months": 48},
            ],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["version"], body["base_months"], body["labour_rate"]) == (3, 36, "95.00")
    assert {(item["component"], item["months"], item["covers_labour"]) for item in body["component_warranties"]} == {
        ("compressor", 96, True),
        ("main-board", 48, False),
    }
    assert WarrantyPolicy.objects.get(pk=body["id"]).exclusions == {"liquid": "chargeable"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"effective_from": "2026-01-01"}, "effective_from", id="same-effective-date"),
        pytest.param({"effective_from": "2026-02-30"}, "effective_from", id="impossible-date"),
        pytest.param({"base_months": -1}, "base_months", id="negative-months"),
        pytest.param({"base_months": 241}, "base_months", id="too-many-months"),
        pytest.param({"base_months": "twelve"}, "base_months", id="months-not-a-number"),
        pytest.param({"labour_rate": "-5"}, "labour_rate", id="negative-rate"),
        pytest.param({"labour_rate": "NaN"}, "labour_rate", id="nan-rate"),
        pytest.param({"travel_fee": "1e20"}, "travel_fee", id="huge-fee"),
        pytest.param({"return_window_months": 100000}, "return_window_months", id="huge-window"),
        pytest.param({"service_mode": "teleport"}, "service_mode", id="unknown-service-mode"),
        pytest.param({"exclusions": {"quality_defect": "chargeable"}}, "exclusions", id="excluding-a-defect"),
        pytest.param({"exclusions": {"liquid": "free"}}, "exclusions", id="unknown-terms"),
        pytest.param({"exclusions": ["liquid"]}, "exclusions", id="exclusions-not-an-object"),
        pytest.param({"exclusions": {"liquid": ["chargeable"]}}, "exclusions", id="terms-not-text"),
        pytest.param({"exclusions": {"liquid": None}}, "exclusions", id="terms-null"),
        pytest.param({"model": "NOPE"}, "model", id="unknown-model"),
        pytest.param({"notes": "n" * 5000}, "notes", id="huge-notes"),
        pytest.param(
            {"component_warranties": [{"component": "turbine", "months": 60}]},
            "component_warranties",
            id="unknown-component",
        ),
        pytest.param(
            {"component_warranties": [{"component": "compressor", "months": 0}]},
            "component_warranties",
            id="zero-month-component",
        ),
        pytest.param(
            {"component_warranties": [{"component": "compressor", "months": 60}] * 2},
            "component_warranties",
            id="component-twice",
        ),
        pytest.param({"component_warranties": "compressor"}, "component_warranties", id="components-not-a-list"),
    ],
)
def test_invalid_policies_are_400_with_the_field_named(api_as, air_conditioner, changes, field):
    payload = {"model": "KFR-35GW", "effective_from": "2027-01-01", "base_months": 36, **changes}

    body = assert_error(api_as(superuser=True).post(f"{API}/policies/", payload, format="json"), 400)

    assert field in body, body
    assert WarrantyPolicy.objects.filter(product_model=air_conditioner).count() == 2


def test_policies_are_not_edited_or_deleted_over_the_api(api_as, air_conditioner):
    policy = WarrantyPolicy.objects.filter(product_model=air_conditioner).first()
    client = api_as(superuser=True)

    assert_error(client.patch(f"{API}/policies/{policy.pk}/", {"base_months": 1}, format="json"), 405)
    assert_error(client.delete(f"{API}/policies/{policy.pk}/"), 405)


def test_catalogue_and_policy_writes_go_through_the_logged_services(make_user, air_conditioner):
    user = make_user(superuser=True)
    client = APIClient()
    client.force_authenticate(user)

    created = client.post(
        f"{API}/models/", {"code": "KFR-50LW", "name": "Floor", "category": "air-conditioner"}, format="json"
    )
    patched = client.patch(f"{API}/models/KFR-50LW/", {"is_active": False}, format="json")
    policy = client.post(
        f"{API}/policies/",
        {
            "model": "KFR-35GW",
            "effective_from": "2027-01-01",
            "base_months": 36,
            "component_warranties": [{"component": "compressor", "months": 96}],
        },
        format="json",
    )

    assert (created.status_code, patched.status_code, policy.status_code) == (201, 200, 201)
    model = ProductModel.objects.get(code="KFR-50LW")
    logged = WarrantyChange.objects.filter(actor=user).order_by("id")
    assert [(change.subject, change.object_id, change.action) for change in logged] == [
        ("product_model", model.pk, "created"),
        ("product_model", model.pk, "changed"),
        ("policy", policy.json()["id"], "created"),
    ]
    assert logged[1].changes == {"is_active": {"from": True, "to": False}}
    assert logged[2].changes["component_warranties"]["to"]["compressor"]["months"] == 96


# --- units ----------------------------------------------------------------------------------


def test_unit_detail_shows_model_customer_and_policy_version(api_as, unit):
    body = api_as("agent").get(f"{API}/units/{SERIAL}/").json()

    assert body == {
        "serial": SERIAL,
        "model": "KFR-35GW",
        "model_name": "Split air conditioner",
        "customer": {"id": unit.customer_id, "name": "赵敏", "phone": "13800138001"},
        "purchase_date": "2025-06-01",
        "sales_channel": "retail_store",
        "install_date": None,
        "has_proof_of_purchase": False,
        "policy_version": 1,
        "base_warranty_until": "2026-06-01",
        "created_at": body["created_at"],
    }


@pytest.mark.parametrize("role", ["manager", "coordinator"])
def test_roles_without_contact_permission_see_masked_phone_numbers(api_as, unit, role):
    client = api_as(role)

    detail = client.get(f"{API}/units/{SERIAL}/").json()
    (row,) = client.get(f"{API}/units/").json()["results"]

    assert detail["customer"]["phone"] == row["customer"]["phone"] == "138****8001"
    assert "13800138001" not in json.dumps(detail) + json.dumps(row)


def test_unit_is_found_however_its_serial_is_typed(api_as, unit):
    client = api_as("technician")

    assert client.get(f"{API}/units/{SERIAL.lower()}/").json()["serial"] == SERIAL
    assert_error(client.get(f"{API}/units/NO-SUCH-1/"), 404, "not_found")


@pytest.mark.parametrize("path", ["units/A%00B/", "units/%2E%2E/", "units/" + "9" * 65 + "/", "units/a%20b/"])
def test_odd_serials_in_the_path_are_404_not_500(api_as, unit, path):
    assert_error(api_as("agent").get(f"{API}/{path}"), 404)


def test_units_are_searched_by_serial_prefix_or_the_customers_phone(api_as, unit, purifier):
    UnitFactory(serial="RO400-2026-000001", product_model=purifier, purchase_date=D("2026-02-01"))
    client = api_as("agent")

    by_serial = client.get(f"{API}/units/", {"search": "kfr35"}).json()["results"]
    by_phone = client.get(f"{API}/units/", {"search": "138 0013 8001"}).json()["results"]

    assert [row["serial"] for row in by_serial] == [SERIAL]
    assert [row["serial"] for row in by_phone] == [SERIAL]


def test_phone_search_is_off_for_roles_that_see_masked_numbers(api_as, unit):
    # Otherwise guessing the four hidden digits of "138****8001" would take at most 10,000 searches.
    response = api_as("manager").get(f"{API}/units/", {"search": "13800138001"})

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_units_are_filtered_by_model_and_purchase_dates(api_as, unit, purifier):
    UnitFactory(serial="RO400-2026-000001", product_model=purifier, purchase_date=D("2026-02-01"))
    UnitFactory(serial="RO400-2026-000002", product_model=purifier, purchase_date=D("2026-04-01"))
    client = api_as("coordinator")

    def serials(**params):
        response = client.get(f"{API}/units/", params)
        assert response.status_code == 200, response.content
        return sorted(row["serial"] for row in response.json()["results"])

    assert serials(model="RO-400G") == ["RO400-2026-000001", "RO400-2026-000002"]
    assert serials(category="air-conditioner") == [SERIAL]
    assert serials(purchase_date_from="2026-01-15", purchase_date_to="2026-03-31") == ["RO400-2026-000001"]
    assert serials(purchase_date_to="2025-12-31") == [SERIAL]


def test_units_expiring_within_days_agrees_with_the_selector(api_as, air_conditioner, purifier, today):
    # Base warranties ending on 2026-11-24 (today), 2026-12-10, 2026-12-24 (day 30) and 2026-12-25 (day 31).
    for number, purchase in enumerate(["2025-11-24", "2025-12-10", "2025-12-24", "2025-12-25", "2025-11-23"]):
        UnitFactory(serial=f"RO-{number}", product_model=purifier, purchase_date=D(purchase))

    response = api_as("agent").get(f"{API}/units/", {"expiring_within_days": 30})

    assert response.status_code == 200
    listed = sorted(row["serial"] for row in response.json()["results"])
    assert listed == sorted(units_expiring(today=today, days=30).values_list("serial", flat=True))
    assert listed == ["RO-0", "RO-1", "RO-2"]


@pytest.mark.parametrize(
    "params",
    [
        {"expiring_within_days": "soon"},
        {"expiring_within_days": "-1"},
        {"expiring_within_days": "1.5"},
        {"expiring_within_days": "99999999999999999999"},
        {"purchase_date_from": "yesterday"},
        {"purchase_date_to": "2026-02-30"},
        {"search": "a\x00b"},
        {"model": "a\x00b"},
        {"customer": "x"},
    ],
)
def test_malformed_unit_filters_are_400(api_as, unit, params):
    assert_error(api_as("agent").get(f"{API}/units/", params), 400)


def test_agent_registers_a_unit_with_the_serial_normalised(api_as, air_conditioner, customer, today):
    response = api_as("agent").post(
        f"{API}/units/",
        {
            "serial": "  kfr35-2026-000777 ",
            "model": "KFR-35GW",
            "customer": customer.pk,
            "purchase_date": "2026-11-01",
            "install_date": "2026-11-03",
            "sales_channel": "online",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["serial"], body["policy_version"], body["base_warranty_until"]) == (
        "KFR35-2026-000777",
        2,
        "2028-11-01",
    )
    assert body["customer"]["name"] == "赵敏"
    assert RegisteredUnit.objects.get(serial="KFR35-2026-000777").sales_channel == "online"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"serial": SERIAL.lower()}, "serial", id="duplicate-serial-other-case"),
        pytest.param({"serial": "   "}, "serial", id="blank-serial"),
        pytest.param({"serial": "S" * 65}, "serial", id="serial-too-long"),
        pytest.param({"serial": "A/B"}, "serial", id="slash-in-serial"),
        pytest.param({"serial": "A\tB"}, "serial", id="tab-in-serial"),
        pytest.param({"serial": "A\x00B"}, "serial", id="nul-in-serial"),
        pytest.param({"serial": ["A-1"]}, "serial", id="serial-as-list"),
        pytest.param({"model": "NOPE"}, "model", id="unknown-model"),
        pytest.param({"customer": 999999}, "customer", id="unknown-customer"),
        pytest.param({"customer": "zhao"}, "customer", id="customer-not-an-id"),
        pytest.param({"customer": 10**30}, "customer", id="customer-id-too-large"),
        pytest.param({"purchase_date": "2026-13-01"}, "purchase_date", id="bad-date"),
        pytest.param({"purchase_date": "2027-01-01"}, "purchase_date", id="future-purchase"),
        pytest.param({"install_date": "2026-10-01"}, "install_date", id="installed-before-purchase"),
        pytest.param({"sales_channel": "black_market"}, "sales_channel", id="unknown-channel"),
        pytest.param({"purchase_date": None}, "purchase_date", id="null-date"),
    ],
)
def test_invalid_units_are_400(api_as, unit, today, changes, field):
    payload = {"serial": "NEW-1", "model": "KFR-35GW", "purchase_date": "2026-11-01", **changes}

    body = assert_error(api_as("agent").post(f"{API}/units/", payload, format="json"), 400)

    if field is not None:
        assert field in body, body
    assert RegisteredUnit.objects.count() == 1


def test_proof_of_purchase_upload(api_as, unit, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("invoice.pdf", PDF, content_type="application/pdf")

    response = api_as("agent").post(f"{API}/units/{SERIAL}/proof/", {"proof_of_purchase": upload}, format="multipart")

    assert response.status_code == 200, response.content
    assert response.json()["has_proof_of_purchase"] is True
    unit.refresh_from_db()
    assert unit.proof_of_purchase.name.startswith("proofs/")
    (logged,) = WarrantyChange.objects.filter(unit_id=unit.pk)
    assert logged.changes == {"proof_of_purchase": {"from": "", "to": unit.proof_of_purchase.name}}
    assert logged.actor.groups.filter(name="agent").exists()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("invoice.exe", b"MZ...", "file_type"),
        ("invoice.pdf", b"<html>not a pdf</html>", "file_content"),
        ("huge.pdf", PDF + b"0" * (10 * 1024 * 1024), "file_size"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_bad_proofs_of_purchase_are_400_with_a_code(api_as, unit, settings, tmp_path, name, content, code):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile(name, content)

    response = api_as("agent").post(f"{API}/units/{SERIAL}/proof/", {"proof_of_purchase": upload}, format="multipart")

    assert assert_error(response, 400, code)
    unit.refresh_from_db()
    assert not unit.proof_of_purchase


def test_proof_upload_needs_a_file_sent_as_multipart(api_as, unit):
    client = api_as("agent")

    assert_error(client.post(f"{API}/units/{SERIAL}/proof/", {}, format="multipart"), 400, "required")
    assert_error(client.post(f"{API}/units/{SERIAL}/proof/", {"proof_of_purchase": "x"}, format="json"), 415)


# --- the decision ---------------------------------------------------------------------------


def test_decision_in_the_base_warranty(api_as, unit):
    response = api_as("agent").get(f"{API}/units/{SERIAL}/decision/", {"date": "2026-03-01"})

    body = response.json()
    assert body["serial"] == SERIAL
    assert (body["in_warranty"], body["basis"], body["expires_on"], body["policy_version"]) == (
        True,
        "base",
        "2026-06-01",
        1,
    )
    assert body["charges"]["parts"] == body["charges"]["labour"] == "free"
    assert body["decision_id"] is None
    assert not EntitlementDecision.objects.exists()


def test_decision_for_the_compressor_after_the_base_warranty(api_as, unit):
    client = api_as("technician")

    whole_unit = client.get(f"{API}/units/{SERIAL}/decision/", {"date": "2027-03-01"}).json()
    compressor = client.get(f"{API}/units/{SERIAL}/decision/", {"date": "2027-03-01", "component": "compressor"}).json()

    assert whole_unit["in_warranty"] is False
    assert (compressor["in_warranty"], compressor["basis"], compressor["expires_on"]) == (
        True,
        "component",
        "2030-06-01",
    )
    assert compressor["component"] == "compressor"
    assert compressor["charges"]["parts"] == "free"
    assert compressor["charges"]["labour"] == "chargeable"


def test_decision_for_a_customer_caused_fault_in_warranty(api_as, unit):
    body = api_as("agent").get(f"{API}/units/{SERIAL}/decision/", {"date": "2026-03-01", "cause": "liquid"}).json()

    # In warranty but customer-caused: labour free, parts at cost (002 §4.6).
    assert (body["in_warranty"], body["charges"]["parts"], body["charges"]["labour"]) == (True, "at_cost", "free")
    assert body["cause"] == "liquid"


def test_decision_defaults_to_today_and_a_quality_fault(api_as, unit, today):
    body = api_as("agent").get(f"{API}/units/{SERIAL}/decision/").json()

    assert (body["on_date"], body["cause"], body["in_warranty"]) == ("2026-11-24", "quality_defect", False)


def test_recorded_decision_is_stored_with_its_inputs_and_both_languages(api_as, unit):
    response = api_as("supervisor").post(
        f"{API}/units/{SERIAL}/decision/",
        {"date": "2027-03-01", "component": "compressor", "purpose": "T2026112400042"},
    )

    assert response.status_code == 200, response.content
    stored = EntitlementDecision.objects.get(pk=response.json()["decision_id"])
    assert stored.unit == unit
    assert (stored.policy_version, stored.in_warranty, stored.purpose) == (1, True, "T2026112400042")
    assert stored.inputs["on_date"] == "2027-03-01"
    assert stored.inputs["component"] == "compressor"
    assert stored.outputs["expires_on"] == "2030-06-01"
    assert stored.outputs["reasons_zh_hans"]
    assert stored.decided_by.groups.get().name == "supervisor"


@pytest.mark.parametrize(("language", "render_in"), [("en", "en"), ("zh-hans", "zh-hans"), ("en-US,en;q=0.9", "en")])
def test_decision_reasons_are_in_the_requests_language(api_as, unit, language, render_in):
    response = api_as("agent").get(
        f"{API}/units/{SERIAL}/decision/", {"date": "2026-03-01"}, HTTP_ACCEPT_LANGUAGE=language
    )

    body = response.json()
    expected = [Reason(item["code"], item["params"]).render(render_in) for item in body["reason_codes"]]
    assert body["reasons"] == expected
    if render_in == "en":
        assert body["reasons"][0].startswith("In the base warranty: 12 months")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"date": "2026-02-30"}, "date", id="impossible-date"),
        pytest.param({"date": "01/03/2026"}, "date", id="not-iso"),
        pytest.param({"date": "2026-03-01T10:00"}, "date", id="datetime"),
        pytest.param({"date": "2025-05-31"}, "date", id="before-purchase"),
        pytest.param({"date": "x" * 5000}, "date", id="huge"),
        pytest.param({"cause": "bad_luck"}, "cause", id="unknown-cause"),
        pytest.param({"component": "turbine"}, "component", id="unknown-component"),
        pytest.param({"component": "c" * 51}, "component", id="component-too-long"),
        pytest.param({"component": "a\x00b"}, "component", id="nul-component"),
        pytest.param({"record": "maybe"}, "record", id="record-not-a-boolean"),
    ],
)
def test_malformed_decision_queries_are_400(api_as, unit, params, field):
    body = assert_error(api_as("agent").get(f"{API}/units/{SERIAL}/decision/", params), 400)

    assert field in body, body
    assert not EntitlementDecision.objects.exists()


def test_component_of_another_model_is_unknown_to_this_unit(api_as, unit, purifier):
    ComponentFactory(product_model=purifier, code="filter", name="filter")

    body = assert_error(api_as("agent").get(f"{API}/units/{SERIAL}/decision/", {"component": "filter"}), 400)

    assert "component" in body


def test_decision_of_an_unknown_unit_is_404(api_as, unit):
    assert_error(api_as("agent").get(f"{API}/units/NOPE-1/decision/"), 404, "not_found")


def test_stored_decisions_are_listed_by_unit(api_as, chargeable_decision, unit):
    warranty_decision_record(decision=warranty_decide(unit=unit, on_date=D("2026-03-01")))
    client = api_as("manager")

    rows = client.get(f"{API}/decisions/", {"unit": chargeable_decision.unit.serial.lower()}).json()["results"]

    assert [row["id"] for row in rows] == [chargeable_decision.pk]
    assert rows[0]["outputs"]["in_warranty"] is False
    assert_error(client.get(f"{API}/decisions/", {"unit": "a\x00"}), 400)


# --- quotes ---------------------------------------------------------------------------------


def test_quote_prices_the_chargeable_work_of_a_stored_decision(api_as, chargeable_decision):
    response = api_as("technician").post(
        f"{API}/quotes/",
        {
            "decision": chargeable_decision.pk,
            "labour_hours": "1.5",
            "parts": [{"part_number": "PCB-35", "description": "main board", "quantity": 2, "unit_price": "210.00"}],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    # Out of warranty: labour 1.5 h × 80, one visit 50, parts 2 × 210 (default policy rates).
    assert (body["labour_amount"], body["travel_amount"], body["parts_amount"], body["total"]) == (
        "120.00",
        "50.00",
        "420.00",
        "590.00",
    )
    assert body["status"] == QuoteStatus.PENDING
    assert body["unit"] == "KFR35-2020-000007"
    assert body["lines"] == [
        {
            "part_number": "PCB-35",
            "description": "main board",
            "quantity": 2,
            "unit_price": "210.00",
            "charged_unit_price": "210.00",
        }
    ]


def test_no_quote_when_everything_is_covered(api_as, unit):
    covered = warranty_decision_record(decision=warranty_decide(unit=unit, on_date=D("2026-03-01")))

    body = assert_error(api_as("agent").post(f"{API}/quotes/", {"decision": covered.pk}, format="json"), 400)

    assert "decision" in body
    assert not Quote.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"decision": 999999}, id="unknown-decision"),
        pytest.param({"decision": "first"}, id="decision-not-an-id"),
        pytest.param({"labour_hours": "-1"}, id="negative-hours"),
        pytest.param({"labour_hours": "10000"}, id="too-many-hours"),
        pytest.param({"labour_hours": "abc"}, id="hours-not-a-number"),
        pytest.param(
            {"parts": [{"part_number": "P", "description": "d", "quantity": 0, "unit_price": "1"}]}, id="qty-0"
        ),
        pytest.param(
            {"parts": [{"part_number": "P", "description": "d", "quantity": 1, "unit_price": "-1"}]}, id="neg"
        ),
        pytest.param(
            {"parts": [{"part_number": "P", "description": "d", "quantity": 999, "unit_price": "9999999999.99"}]},
            id="total-overflows",
        ),
        pytest.param(
            {"parts": [{"part_number": "P" * 65, "description": "d", "quantity": 1, "unit_price": "1"}]}, id="long"
        ),
        pytest.param({"parts": {"part_number": "P"}}, id="parts-not-a-list"),
        pytest.param({"parts": [1, 2]}, id="parts-not-objects"),
    ],
)
def test_invalid_quotes_are_400(api_as, chargeable_decision, changes):
    payload = {"decision": chargeable_decision.pk, "labour_hours": "1", **changes}

    assert_error(api_as("agent").post(f"{API}/quotes/", payload, format="json"), 400)
    assert not Quote.objects.exists()


@pytest.mark.parametrize("quote_id", ["999999", "abc", "9" * 30])
def test_an_unknown_quote_is_404(api_as, quote, quote_id):
    assert_error(api_as("agent").get(f"{API}/quotes/{quote_id}/"), 404)


# --- special replacements -------------------------------------------------------------------


def test_replacement_request_names_the_unit_by_serial_and_may_cite_a_decision(api_as, unit):
    decision = warranty_decision_record(decision=warranty_decide(unit=unit, on_date=D("2026-03-01")))

    response = api_as("technician").post(
        f"{API}/replacements/",
        {"unit": SERIAL.lower(), "reason": "  Third compressor failure  ", "decision": decision.pk},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["unit"], body["reason"], body["decision"], body["status"]) == (
        SERIAL,
        "Third compressor failure",
        decision.pk,
        "pending",
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"unit": "NOPE", "reason": "r"}, "unit", id="unknown-unit"),
        pytest.param({"unit": 42, "reason": "r"}, "unit", id="unit-not-text"),
        pytest.param({"unit": "A\x00", "reason": "r"}, "unit", id="nul-unit"),
        pytest.param({"unit": SERIAL, "reason": "   "}, "reason", id="blank-reason"),
        pytest.param({"unit": SERIAL, "reason": "r" * 5000}, "reason", id="huge-reason"),
        pytest.param({"unit": SERIAL}, "reason", id="no-reason"),
        pytest.param({"unit": SERIAL, "reason": "r", "decision": 999999}, "decision", id="unknown-decision"),
    ],
)
def test_invalid_replacement_requests_are_400(api_as, unit, payload, field):
    body = assert_error(api_as("agent").post(f"{API}/replacements/", payload, format="json"), 400)

    assert field in body, body
    assert not SpecialReplacement.objects.exists()


def test_replacement_may_not_cite_another_units_decision(api_as, unit, chargeable_decision):
    response = api_as("agent").post(
        f"{API}/replacements/", {"unit": SERIAL, "reason": "r", "decision": chargeable_decision.pk}, format="json"
    )

    assert "decision" in assert_error(response, 400)


def test_supervisor_rejects_a_replacement_once_then_409(api_as, replacement):
    client = api_as("supervisor")

    rejected = client.post(
        f"{API}/replacements/{replacement.pk}/decide/", {"approve": False, "note": "Repair instead"}, format="json"
    )
    again = client.post(f"{API}/replacements/{replacement.pk}/decide/", {"approve": True}, format="json")

    assert rejected.status_code == 200, rejected.content
    assert (rejected.json()["status"], rejected.json()["decision_note"]) == ("rejected", "Repair instead")
    assert_error(again, 409, "conflict")
    replacement.refresh_from_db()
    assert replacement.status == ApprovalStatus.REJECTED


def test_a_supervisor_may_not_approve_their_own_request(api_as, make_user, unit):
    supervisor = make_user("supervisor")
    own = special_replacement_request(unit=unit, reason="mine", actor=supervisor)
    client = APIClient()
    client.force_authenticate(supervisor)

    response = client.post(f"{API}/replacements/{own.pk}/decide/", {"approve": True}, format="json")

    assert "requester" in assert_error(response, 403)["detail"]
    own.refresh_from_db()
    assert own.status == ApprovalStatus.PENDING


@pytest.mark.parametrize(
    "payload", [{}, {"approve": "perhaps"}, {"approve": [True]}, {"approve": True, "note": 5 * "n" * 1000}]
)
def test_invalid_replacement_decisions_are_400(api_as, replacement, payload):
    assert_error(api_as("supervisor").post(f"{API}/replacements/{replacement.pk}/decide/", payload, format="json"), 400)


# --- malformed bodies everywhere ------------------------------------------------------------

WRITE_PATHS = [
    f"{API}/units/",
    f"{API}/quotes/",
    f"{API}/replacements/",
    f"{API}/policies/",
    f"{API}/models/",
]
BAD_BODIES = [
    pytest.param("{not json", "application/json", id="broken-json"),
    pytest.param("null", "application/json", id="json-null"),
    pytest.param("[1, 2]", "application/json", id="json-list"),
    pytest.param('"text"', "application/json", id="json-string"),
    pytest.param("{}", "application/json", id="empty-object"),
    pytest.param(json.dumps({"serial": "s" * 100_000, "reason": "r" * 100_000}), "application/json", id="huge"),
    pytest.param(b"\xff\xfe\x00garbage", "application/json", id="not-utf8"),
    pytest.param("<xml/>", "application/xml", id="unsupported-media-type"),
]


@pytest.mark.parametrize("path", WRITE_PATHS)
@pytest.mark.parametrize(("body", "content_type"), BAD_BODIES)
def test_malformed_bodies_are_4xx_json_never_5xx(api_as, unit, path, body, content_type):
    response = api_as(superuser=True).generic("POST", path, body, content_type=content_type)

    assert 400 <= response.status_code < 500, response.content
    assert_error(response, response.status_code)


@pytest.mark.parametrize("body", ["[]", "null", "false", "0", '"AAA"'])
def test_recording_a_decision_with_a_json_body_that_is_not_an_object_is_a_400(api_as, unit, body):
    # Issue #18 item 7: the view read the body with ``.items()`` and answered these with a 500.
    response = api_as("supervisor").generic("POST", f"{API}/units/{SERIAL}/decision/", body, "application/json")

    assert_error(response, 400, "parse_error")
    assert not EntitlementDecision.objects.exists()


# --- list query counts ----------------------------------------------------------------------


def _count_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    return len(captured)


def _add_rows(number: int, air_conditioner, purifier, actor) -> None:
    for index in range(number):
        model = air_conditioner if index % 2 else purifier
        customer = CustomerFactory()
        unit = UnitFactory(product_model=model, purchase_date=D("2020-06-01"), customer=customer)
        decision = warranty_decision_record(decision=warranty_decide(unit=unit, on_date=D("2026-11-24")), actor=actor)
        quote_create(decision=decision, parts=[PartLine("P1", "part", 1, Decimal("10"))] * 2, labour_hours=Decimal(1))
        special_replacement_request(unit=unit, reason="r", actor=actor)
        ProductModelFactory(category=air_conditioner.category)
        ComponentFactory(product_model=ProductModel.objects.order_by("-pk").first(), code="board")
        PolicyFactory(product_model=ProductModel.objects.order_by("-pk").first())


@pytest.mark.parametrize(
    "path",
    [
        f"{API}/units/",
        f"{API}/units/?expiring_within_days=30&search=SN",
        f"{API}/models/",
        f"{API}/policies/",
        f"{API}/quotes/",
        f"{API}/replacements/",
        f"{API}/decisions/",
    ],
)
def test_list_query_count_does_not_grow_with_rows(api_as, air_conditioner, purifier, make_user, path):
    client = api_as("supervisor")
    actor = make_user("agent")
    _add_rows(3, air_conditioner, purifier, actor)
    _count_queries(client, path)  # the first request also loads the user's permissions
    with_few = _count_queries(client, path)

    _add_rows(20, air_conditioner, purifier, actor)

    assert _count_queries(client, path) == with_few


def test_unit_list_costs_a_fixed_handful_of_queries(
    api_as, air_conditioner, purifier, make_user, django_assert_num_queries
):
    client = api_as("manager")
    _add_rows(10, air_conditioner, purifier, make_user("agent"))
    client.get(f"{API}/units/")

    # A bounded COUNT, the page's ids, the page joined with model and customer, the models' policies.
    with django_assert_num_queries(4):
        client.get(f"{API}/units/")


# --- schema ---------------------------------------------------------------------------------


def test_openapi_schema_describes_the_warranty_api(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    assert {
        "/api/v1/warranty/models/",
        "/api/v1/warranty/models/{code}/",
        "/api/v1/warranty/policies/",
        "/api/v1/warranty/units/",
        "/api/v1/warranty/units/{serial}/",
        "/api/v1/warranty/units/{serial}/decision/",
        "/api/v1/warranty/units/{serial}/proof/",
        "/api/v1/warranty/quotes/",
        "/api/v1/warranty/replacements/",
        "/api/v1/warranty/replacements/{id}/decide/",
        "/api/v1/public/warranty/{serial}/",
    } <= set(schema["paths"])
    # The customer answers a quote on its ticket; staff have no warranty endpoint for it.
    assert not any(path.startswith("/api/v1/warranty/quotes/") and "respond" in path for path in schema["paths"])


def test_a_unit_bought_at_the_end_of_the_calendar_is_listed_and_decided_without_a_500(api_as, air_conditioner):
    # Registered by another channel (an import, the admin shell) with a mistyped year.
    # (the services refuse such a date now; the row is written the way an old import would have)
    RegisteredUnit.objects.create(serial="TYPO-9999", product_model=air_conditioner, purchase_date=D("9999-12-30"))
    client = api_as("agent")

    (row,) = client.get(f"{API}/units/").json()["results"]
    decision = client.get(f"{API}/units/TYPO-9999/decision/", {"date": "9999-12-31"})
    public = APIClient().get("/api/v1/public/warranty/TYPO-9999/")

    assert (row["serial"], row["base_warranty_until"]) == ("TYPO-9999", None)
    assert_error(decision, 400)
    assert_error(public, 400)
