"""The public warranty check ``GET /api/v1/public/warranty/<serial>/`` (CONTRACT.md §4): no login,
the contract's fields and nothing about the customer, 404/400 in the error shape, the reader's
language, and the per-address rate limit."""

import json
import uuid
from datetime import date, datetime

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from aftersales.core.services import customer_create
from conftest import SHANGHAI
from warranty.choices import SalesChannel
from warranty.entitlement import Reason
from warranty.models import EntitlementDecision
from warranty.services import extended_warranty_add, warranty_decide

from .factories import (
    ComponentFactory,
    ComponentWarrantyFactory,
    PolicyFactory,
    ProductCategoryFactory,
    ProductModelFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db

D = date.fromisoformat
SERIAL = "KFR35-2025-000123"
URL = f"/api/v1/public/warranty/{SERIAL}/"
CONTRACT_KEYS = {
    "serial",
    "model",
    "in_warranty",
    "expires_on",
    "covered",
    "charges",
    "return_eligible",
    "exchange_eligible",
    "reasons",
}


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"]
    assert isinstance(body["code"], str) and body["code"]
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def customer():
    return customer_create(
        name="赵敏", phone="13800138001", email="zhaomin@example.com", address="北京市朝阳区建国路 88 号"
    )


@pytest.fixture
def unit(customer):
    """Bought 2025-06-01 online: base warranty 12 months (until 2026-06-01), compressor 60 months."""
    category = ProductCategoryFactory(code="air-conditioner", name="空调")
    model = ProductModelFactory(code="KFR-35GW", name="分体壁挂式空调 Split air conditioner", category=category)
    compressor = ComponentFactory(product_model=model, code="compressor", name="compressor")
    policy = PolicyFactory(product_model=model, effective_from=D("2020-01-01"), base_months=12)
    ComponentWarrantyFactory(policy=policy, component=compressor, months=60)
    return UnitFactory(
        serial=SERIAL,
        product_model=model,
        purchase_date=D("2025-06-01"),
        customer=customer,
        sales_channel=SalesChannel.DISTRIBUTOR,
    )


@pytest.fixture
def anonymous():
    return APIClient()


def test_in_warranty_answer_has_exactly_the_contracts_fields(anonymous, unit):
    response = anonymous.get(URL, {"date": "2026-03-01"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= CONTRACT_KEYS
    assert set(body) - CONTRACT_KEYS == {"model_name", "on_date", "cause", "basis", "needs_quote"}
    assert body["serial"] == SERIAL
    assert body["model"] == "KFR-35GW"
    assert body["in_warranty"] is True
    assert body["expires_on"] == "2026-06-01"
    assert body["covered"] == {"parts": True, "labour": True, "travel": True, "on_site": True, "mail_in": False}
    assert body["charges"] == {
        "parts": "free",
        "labour": "free",
        "travel": "free",
        "labour_rate": "80.00",
        "travel_fee": "50.00",
    }
    assert (body["return_eligible"], body["exchange_eligible"]) == (False, False)
    assert isinstance(body["reasons"], list) and all(isinstance(reason, str) for reason in body["reasons"])
    assert not EntitlementDecision.objects.exists()  # a look-up, not a recorded decision


def test_out_of_warranty_answer(anonymous, unit):
    body = anonymous.get(URL, {"date": "2026-11-24"}).json()

    assert body["in_warranty"] is False
    assert body["expires_on"] == "2026-06-01"
    assert body["charges"]["parts"] == body["charges"]["labour"] == body["charges"]["travel"] == "chargeable"
    assert body["needs_quote"] is True


def test_extended_contract_keeps_the_unit_in_warranty(anonymous, unit):
    extended_warranty_add(unit=unit, reference="EXT-1", starts_on=D("2026-06-02"), ends_on=D("2028-06-01"))

    body = anonymous.get(URL, {"date": "2026-11-24"}).json()

    assert (body["in_warranty"], body["basis"], body["expires_on"]) == (True, "extended", "2028-06-01")


def test_customer_caused_fault_in_warranty(anonymous, unit):
    body = anonymous.get(URL, {"date": "2026-03-01", "cause": "human_damage"}).json()

    # Labour free, parts at cost (002 §4.6).
    assert (body["in_warranty"], body["charges"]["parts"], body["charges"]["labour"]) == (True, "at_cost", "free")


def test_defaults_are_today_and_a_quality_fault(anonymous, unit, time_machine):
    time_machine.move_to(datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI), tick=False)  # 15:30 UTC: still 1 March

    body = anonymous.get(URL).json()

    assert (body["on_date"], body["cause"], body["in_warranty"]) == ("2026-03-01", "quality_defect", True)


def test_empty_parameters_mean_the_defaults(anonymous, unit, time_machine):
    time_machine.move_to(datetime(2026, 3, 1, 10, tzinfo=SHANGHAI), tick=False)

    body = anonymous.get(URL, {"date": "", "cause": ""}).json()

    assert (body["on_date"], body["cause"]) == ("2026-03-01", "quality_defect")


def test_the_answer_reveals_nothing_about_the_customer_or_the_sale(anonymous, unit, customer):
    text = anonymous.get(URL, {"date": "2026-03-01"}).content.decode()

    for secret in [
        customer.name,
        customer.phone,
        customer.phone[-4:],
        customer.email,
        customer.address,
        "建国路",
        SalesChannel.DISTRIBUTOR.value,
        str(SalesChannel.DISTRIBUTOR.label),
    ]:
        assert secret not in text, secret
    body = json.loads(text)
    for key in ("customer", "customer_id", "name", "phone", "address", "email", "sales_channel", "channel"):
        assert key not in body


@pytest.mark.parametrize("serial", [SERIAL.lower(), f" {SERIAL} "])
def test_the_serial_may_be_typed_in_any_case(anonymous, unit, serial):
    response = anonymous.get(f"/api/v1/public/warranty/{serial}/", {"date": "2026-03-01"})

    assert response.status_code == 200, response.content
    assert response.json()["serial"] == SERIAL


@pytest.mark.parametrize(
    "serial",
    ["NO-SUCH-SERIAL", "KFR35-2025-000124", "A%00B", "%E2%80%8B", "x" * 65, "x" * 5000, "%25", "'; DROP TABLE x;--"],
)
def test_unknown_serial_is_a_404_in_the_error_shape(anonymous, unit, serial):
    body = assert_error(anonymous.get(f"/api/v1/public/warranty/{serial}/"), 404, "not_found")

    assert set(body) == {"detail", "code"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"date": "2026-02-30"}, "date", id="impossible-date"),
        pytest.param({"date": "01/03/2026"}, "date", id="not-iso"),
        pytest.param({"date": "tomorrow"}, "date", id="word"),
        pytest.param({"date": "2026-03-01T08:00:00"}, "date", id="datetime"),
        pytest.param({"date": "9" * 10_000}, "date", id="huge"),
        pytest.param({"date": "2026-03-01\x00"}, "date", id="nul"),
        pytest.param({"date": "2025-05-31"}, "date", id="before-purchase"),
        pytest.param({"cause": "bad_luck"}, "cause", id="unknown-cause"),
        pytest.param({"cause": "QUALITY_DEFECT"}, "cause", id="cause-in-capitals"),
        pytest.param({"cause": "c" * 10_000}, "cause", id="huge-cause"),
    ],
)
def test_malformed_parameters_are_400(anonymous, unit, params, field):
    body = assert_error(anonymous.get(URL, params), 400)

    assert field in body, body


def test_malformed_parameters_are_400_even_for_an_unknown_serial(anonymous, unit):
    assert_error(anonymous.get("/api/v1/public/warranty/NOPE/", {"date": "someday"}), 400)


@pytest.mark.parametrize(
    ("accept_language", "language"), [("en", "en"), ("zh-hans", "zh-hans"), ("zh-CN,zh;q=0.9", "zh-hans")]
)
def test_reasons_are_in_the_readers_language(anonymous, unit, accept_language, language):
    response = anonymous.get(URL, {"date": "2027-03-01"}, HTTP_ACCEPT_LANGUAGE=accept_language)

    entitlement = warranty_decide(unit=unit, on_date=D("2027-03-01")).entitlement
    assert response.json()["reasons"] == [reason.render(language) for reason in entitlement.reasons]
    assert response["Content-Language"] == language


def test_english_reasons_explain_the_decision(anonymous, unit):
    reasons = anonymous.get(URL, {"date": "2027-03-01"}, HTTP_ACCEPT_LANGUAGE="en").json()["reasons"]

    assert reasons[0] == Reason("base_expired", {"months": 12, "until": "2026-06-01"}).render("en")
    assert "The base warranty of 12 months ended on 2026-06-01." in reasons
    assert any("quoted" in reason for reason in reasons)


def test_no_login_needed_and_a_stale_token_is_ignored(unit):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    assert client.get(URL, {"date": "2026-03-01"}).status_code == 200


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_only_get_is_allowed(anonymous, unit, method):
    assert_error(getattr(anonymous, method)(URL), 405)


@pytest.fixture
def client_address():
    """A client address no other test (or parallel run sharing Redis) uses; its counter is cleared."""
    address = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    key = f"throttle_public_{address}"
    cache.delete(key)
    yield address
    cache.delete(key)


def test_the_public_rate_limit_answers_429_in_the_error_shape(anonymous, unit, settings, client_address):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "public": "3/minute"},
    }

    answers = [anonymous.get(URL, REMOTE_ADDR=client_address).status_code for _ in range(3)]
    limited = anonymous.get(URL, REMOTE_ADDR=client_address)
    unknown = anonymous.get("/api/v1/public/warranty/NOPE/", REMOTE_ADDR=client_address)

    assert answers == [200, 200, 200]
    assert_error(limited, 429, "throttled")
    assert int(limited["Retry-After"]) > 0
    # Probing unknown serials counts as well, so serials cannot be enumerated quickly.
    assert_error(unknown, 429, "throttled")


def test_the_rate_limit_is_per_client_address(anonymous, unit, settings, client_address):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "public": "1/minute"},
    }
    other_address = "203.0.113.77"
    cache.delete(f"throttle_public_{other_address}")

    first = anonymous.get(URL, REMOTE_ADDR=client_address)
    second = anonymous.get(URL, REMOTE_ADDR=client_address)
    elsewhere = anonymous.get(URL, REMOTE_ADDR=other_address)
    cache.delete(f"throttle_public_{other_address}")

    assert (first.status_code, second.status_code, elsewhere.status_code) == (200, 429, 200)
