"""Warranty services on the database: units, policy versions, stored decisions, quotes, approvals."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from warranty.choices import ApprovalStatus, Charge, QuoteStatus
from warranty.models import Component, ComponentWarranty, ProductCategory, ProductModel
from warranty.services import (
    AlreadyAnswered,
    PartLine,
    extended_warranty_add,
    policy_create,
    quote_create,
    quote_respond,
    special_replacement_decide,
    special_replacement_request,
    unit_attach_proof,
    unit_register,
    warranty_decide,
    warranty_decision_record,
)

pytestmark = pytest.mark.django_db
D = date.fromisoformat
PDF = b"%PDF-1.7\n% invoice\n"


@pytest.fixture
def air_conditioner():
    category = ProductCategory.objects.create(code="ac", name="Air conditioners")
    model = ProductModel.objects.create(code="KFR-35GW", name="Split air conditioner", category=category)
    compressor = Component.objects.create(product_model=model, code="compressor", name="compressor")
    first = policy_create(product_model=model, effective_from=D("2020-01-01"), base_months=12)
    ComponentWarranty.objects.create(policy=first, component=compressor, months=60)
    return model


def test_serials_are_trimmed_and_case_folded_unless_the_model_says_otherwise(air_conditioner):
    unit = unit_register(serial="  kfr35-0001 ", product_model=air_conditioner, purchase_date=D("2026-01-31"))
    assert unit.serial == "KFR35-0001"

    air_conditioner.serial_case_sensitive = True
    air_conditioner.save()
    unit = unit_register(serial=" Ab-9 ", product_model=air_conditioner, purchase_date=D("2026-01-31"))
    assert unit.serial == "Ab-9"


def test_a_serial_is_registered_once(air_conditioner):
    unit_register(serial="KFR35-0001", product_model=air_conditioner, purchase_date=D("2026-01-31"))
    with pytest.raises(ValidationError) as error:
        unit_register(serial="kfr35-0001", product_model=air_conditioner, purchase_date=D("2026-02-01"))
    assert "serial" in error.value.message_dict


def test_install_date_cannot_precede_the_purchase(air_conditioner):
    with pytest.raises(ValidationError):
        unit_register(
            serial="X1", product_model=air_conditioner, purchase_date=D("2026-02-01"), install_date=D("2026-01-01")
        )


@pytest.mark.parametrize(
    ("name", "content", "error_code"),
    [
        ("invoice.pdf", PDF, None),
        ("card.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20, None),
        ("invoice.exe", b"MZ...", "file_type"),
        ("invoice.pdf", b"<html>not a pdf</html>", "file_content"),
        ("huge.pdf", PDF + b"0" * (10 * 1024 * 1024), "file_size"),
    ],
)
def test_proof_of_purchase_is_limited_by_type_content_and_size(
    air_conditioner, settings, tmp_path, name, content, error_code
):
    settings.MEDIA_ROOT = tmp_path
    unit = unit_register(serial="X1", product_model=air_conditioner, purchase_date=D("2026-01-31"))
    upload = SimpleUploadedFile(name, content)
    if error_code is None:
        unit = unit_attach_proof(unit=unit, proof_of_purchase=upload)
        # Stored under a random name: the uploader's file name never reaches the disk.
        assert unit.proof_of_purchase.name.startswith("proofs/") and name not in unit.proof_of_purchase.name
    else:
        with pytest.raises(ValidationError) as error:
            unit_attach_proof(unit=unit, proof_of_purchase=upload)
        assert error.value.error_dict["proof_of_purchase"][0].code == error_code


def test_policy_versions_are_numbered_and_a_unit_keeps_the_version_of_its_purchase(air_conditioner):
    second = policy_create(product_model=air_conditioner, effective_from=D("2026-01-01"), base_months=24)
    assert second.version == 2

    old_unit = unit_register(serial="OLD", product_model=air_conditioner, purchase_date=D("2025-12-31"))
    new_unit = unit_register(serial="NEW", product_model=air_conditioner, purchase_date=D("2026-01-01"))

    on_date = D("2027-06-01")
    assert warranty_decide(unit=old_unit, on_date=on_date).policy.version == 1
    assert warranty_decide(unit=old_unit, on_date=on_date).entitlement.in_warranty is False
    assert warranty_decide(unit=new_unit, on_date=on_date).policy.version == 2
    assert warranty_decide(unit=new_unit, on_date=on_date).entitlement.in_warranty is True


def test_a_unit_bought_before_any_policy_has_none(air_conditioner):
    unit = unit_register(serial="ANCIENT", product_model=air_conditioner, purchase_date=D("2019-06-01"))
    decision = warranty_decide(unit=unit, on_date=D("2019-07-01"))
    assert decision.policy is None and decision.entitlement.in_warranty is False


def test_component_warranty_and_extended_contract_come_from_the_database(air_conditioner):
    unit = unit_register(serial="AC1", product_model=air_conditioner, purchase_date=D("2024-01-15"))
    compressor = air_conditioner.components.get(code="compressor")

    decision = warranty_decide(unit=unit, on_date=D("2026-11-24"), component=compressor)
    assert (decision.entitlement.in_warranty, decision.entitlement.basis) == (True, "component")
    assert warranty_decide(unit=unit, on_date=D("2026-11-24")).entitlement.in_warranty is False

    extended_warranty_add(unit=unit, reference="EW-1", starts_on=D("2025-01-16"), ends_on=D("2027-01-15"))
    decision = warranty_decide(unit=unit, on_date=D("2026-11-24"))
    assert (decision.entitlement.in_warranty, decision.entitlement.basis) == (True, "extended")


def test_a_component_of_another_model_or_a_date_before_purchase_is_a_validation_error(air_conditioner):
    unit = unit_register(serial="AC1", product_model=air_conditioner, purchase_date=D("2026-01-15"))
    other_model = ProductModel.objects.create(code="WP-1", name="Purifier", category=air_conditioner.category)
    filter_component = Component.objects.create(product_model=other_model, code="filter", name="filter")

    with pytest.raises(ValidationError):
        warranty_decide(unit=unit, on_date=D("2026-11-24"), component=filter_component)
    with pytest.raises(ValidationError) as error:
        warranty_decide(unit=unit, on_date=D("2026-01-14"))
    assert "date" in error.value.message_dict


def test_a_recorded_decision_keeps_what_was_decided_when_the_policy_changes(air_conditioner, make_user):
    agent = make_user("agent")
    unit = unit_register(serial="AC1", product_model=air_conditioner, purchase_date=D("2026-01-15"))
    record = warranty_decision_record(
        decision=warranty_decide(unit=unit, on_date=D("2026-11-24"), fault_cause="liquid"), actor=agent, purpose="T1"
    )

    policy = unit.product_model.policies.get(version=1)
    policy.base_months = 6  # an administrator edits the policy afterwards
    policy.save()

    record.refresh_from_db()
    assert record.in_warranty is True
    assert record.policy_version == 1
    assert record.inputs == {
        "serial": "AC1",
        "model": "KFR-35GW",
        "purchase_date": "2026-01-15",
        "on_date": "2026-11-24",
        "fault_cause": "liquid",
        "component": None,
        "has_proof_of_purchase": False,
    }
    assert record.outputs["charges"]["parts"] == Charge.AT_COST
    assert record.outputs["expires_on"] == "2027-01-15"
    assert record.outputs["reasons"] and record.outputs["reasons_zh_hans"]
    assert (record.decided_by, record.purpose) == (agent, "T1")


def _record(unit, on_date, cause="quality_defect"):
    return warranty_decision_record(decision=warranty_decide(unit=unit, on_date=D(on_date), fault_cause=cause))


def test_out_of_warranty_quote_charges_parts_labour_and_travel(air_conditioner, make_user):
    unit = unit_register(serial="AC1", product_model=air_conditioner, purchase_date=D("2024-01-15"))
    parts = [
        PartLine("PCB-35", "Main board", 1, Decimal("420.00")),
        PartLine("CAP-2", "Capacitor", 2, Decimal("12.50")),
    ]

    quote = quote_create(decision=_record(unit, "2026-11-24"), parts=parts, labour_hours=Decimal("1.5"))

    assert (quote.parts_amount, quote.labour_amount, quote.travel_amount) == (
        Decimal("445.00"),
        Decimal("120.00"),
        Decimal("50.00"),
    )
    assert quote.total == Decimal("615.00")
    assert quote.status == QuoteStatus.PENDING
    assert [line.charged_unit_price for line in quote.lines.all()] == [Decimal("420.00"), Decimal("12.50")]


def test_customer_caused_quote_in_warranty_charges_parts_at_cost_only(air_conditioner):
    unit = unit_register(serial="AC1", product_model=air_conditioner, purchase_date=D("2026-06-01"))
    quote = quote_create(
        decision=_record(unit, "2026-11-24", cause="liquid"),
        parts=[PartLine("PCB-35", "Main board at cost", 1, Decimal("300.00"))],
        labour_hours=Decimal("2"),
    )
    assert (quote.parts_amount, quote.labour_amount, quote.travel_amount, quote.total) == (
        Decimal("300.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("300.00"),
    )


def test_no_quote_when_the_warranty_pays_everything(air_conditioner):
    unit = unit_register(serial="AC1", product_model=air_conditioner, purchase_date=D("2026-06-01"))
    with pytest.raises(ValidationError):
        quote_create(decision=_record(unit, "2026-11-24"), parts=[], labour_hours=Decimal("1"))


def test_negative_amounts_are_refused(air_conditioner):
    unit = unit_register(serial="AC1", product_model=air_conditioner, purchase_date=D("2024-01-15"))
    with pytest.raises(ValidationError):
        quote_create(
            decision=_record(unit, "2026-11-24"), parts=[PartLine("P", "p", 1, Decimal("-1"))], labour_hours=Decimal(1)
        )


def test_the_customers_answer_is_recorded_once_with_who_and_when(air_conditioner, make_user):
    agent = make_user("agent")
    unit = unit_register(serial="AC1", product_model=air_conditioner, purchase_date=D("2024-01-15"))
    quote = quote_create(decision=_record(unit, "2026-11-24"), parts=[], labour_hours=Decimal("1"))

    quote = quote_respond(quote=quote, accepted=True, note="phoned, agreed", actor=agent)
    assert (quote.status, quote.recorded_by, quote.response_note) == (QuoteStatus.ACCEPTED, agent, "phoned, agreed")
    assert quote.responded_at is not None
    with pytest.raises(AlreadyAnswered):
        quote_respond(quote=quote, accepted=False, actor=agent)


def test_special_replacement_needs_a_supervisor_who_did_not_ask_for_it(air_conditioner, make_user):
    agent, supervisor, other_supervisor = make_user("agent"), make_user("supervisor"), make_user("supervisor")
    unit = unit_register(serial="AC1", product_model=air_conditioner, purchase_date=D("2024-01-15"))

    with pytest.raises(ValidationError):
        special_replacement_request(unit=unit, reason="  ", actor=agent)
    request = special_replacement_request(unit=unit, reason="third repair of the same fault", actor=supervisor)
    with pytest.raises(PermissionDenied):
        special_replacement_decide(replacement=request, approve=True, actor=agent)
    with pytest.raises(PermissionDenied):
        special_replacement_decide(replacement=request, approve=True, actor=supervisor)  # own request

    decided = special_replacement_decide(replacement=request, approve=True, actor=other_supervisor, note="goodwill")
    assert (decided.status, decided.decided_by, decided.decision_note) == (
        ApprovalStatus.APPROVED,
        other_supervisor,
        "goodwill",
    )
    assert decided.decided_at is not None
    with pytest.raises(AlreadyAnswered):
        special_replacement_decide(replacement=request, approve=False, actor=other_supervisor)


def test_an_unknown_fault_cause_is_reported_as_such(air_conditioner):
    unit = unit_register(serial="AC1", product_model=air_conditioner, purchase_date=D("2026-01-15"))
    with pytest.raises(ValidationError) as error:
        warranty_decide(unit=unit, on_date=D("2026-03-01"), fault_cause="bogus")
    assert "fault_cause" in error.value.message_dict


def test_a_purchase_in_the_future_is_refused(air_conditioner):
    with pytest.raises(ValidationError) as error:
        unit_register(serial="AC1", product_model=air_conditioner, purchase_date=D("9999-12-30"))
    assert "purchase_date" in error.value.message_dict


@pytest.mark.parametrize(
    ("parts", "labour_hours"),
    [
        ([PartLine("P", "p", 30000, Decimal("1"))], Decimal("1")),
        ([PartLine("P", "p", 1, Decimal("9999999999"))], Decimal("1")),
        ([], Decimal("10000")),
    ],
)
def test_quotes_stay_inside_their_money_columns(air_conditioner, parts, labour_hours):
    unit = unit_register(serial="AC1", product_model=air_conditioner, purchase_date=D("2024-01-15"))
    with pytest.raises(ValidationError):
        quote_create(decision=_record(unit, "2026-11-24"), parts=parts, labour_hours=labour_hours)


def test_no_quote_without_rates_to_quote_from(air_conditioner):
    unit = unit_register(serial="ANCIENT", product_model=air_conditioner, purchase_date=D("2019-06-01"))
    with pytest.raises(ValidationError, match="no warranty policy"):
        quote_create(decision=_record(unit, "2026-11-24"), parts=[], labour_hours=Decimal("1"))
