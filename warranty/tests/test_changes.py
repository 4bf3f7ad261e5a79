"""Writes of the catalogue, policies, units and contracts go through services that check them, write
them whole or not at all, and log every change (who, when, from what, to what; REQUIREMENTS §9)."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from aftersales.core.services import customer_create
from conftest import SHANGHAI
from warranty.models import (
    Component,
    ComponentWarranty,
    ExtendedWarranty,
    ProductModel,
    RegisteredUnit,
    WarrantyChange,
    WarrantyPolicy,
)
from warranty.services import (
    ComponentPeriod,
    ComponentSpec,
    Contract,
    extended_warranty_add,
    extended_warranty_update,
    policy_create,
    policy_update,
    product_category_create,
    product_category_update,
    product_model_create,
    product_model_update,
    unit_attach_proof,
    unit_register,
    unit_update,
)

pytestmark = pytest.mark.django_db
D = date.fromisoformat
PDF = b"%PDF-1.7\n% invoice\n"


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to(datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def admin_user(make_user):
    return make_user(superuser=True)


@pytest.fixture
def model(admin_user):
    category = product_category_create(code="ac", name="Air conditioners", actor=admin_user)
    return product_model_create(
        code="KFR-35GW",
        name="Split air conditioner",
        category=category,
        components=[ComponentSpec("compressor", "Compressor"), ComponentSpec("board", "Main board")],
        actor=admin_user,
    )


def compressor(model) -> Component:
    return model.components.get(code="compressor")


def log(subject: str, instance) -> list[WarrantyChange]:
    return list(WarrantyChange.objects.filter(subject=subject, object_id=instance.pk).order_by("id"))


# --- catalogue ------------------------------------------------------------------------------


def test_a_model_is_created_with_its_components_and_logged(model, admin_user):
    assert sorted(model.components.values_list("code", flat=True)) == ["board", "compressor"]
    (created,) = log("product_model", model)
    assert (created.action, created.actor, created.label) == ("created", admin_user, str(model))
    assert created.changes["code"] == {"to": "KFR-35GW"}
    assert created.changes["components"] == {
        "to": [{"code": "compressor", "name": "Compressor"}, {"code": "board", "name": "Main board"}]
    }


def test_changing_a_model_logs_fields_and_components(model, admin_user):
    board = model.components.get(code="board")

    product_model_update(
        product_model=model,
        data={"name": "Split AC", "is_active": False},
        components=[ComponentSpec("compressor", "Compressor", id=compressor(model).pk), ComponentSpec("fan", "Fan")],
        actor=admin_user,
    )

    model.refresh_from_db()
    assert (model.name, model.is_active) == ("Split AC", False)
    assert sorted(model.components.values_list("code", flat=True)) == ["compressor", "fan"]
    assert not Component.objects.filter(pk=board.pk).exists()
    changed = log("product_model", model)[-1]
    assert changed.changes == {
        "name": {"from": "Split air conditioner", "to": "Split AC"},
        "is_active": {"from": True, "to": False},
        "components": {"added": [{"code": "fan", "name": "Fan"}], "removed": [{"code": "board", "name": "Main board"}]},
    }


def test_a_models_code_is_fixed_and_a_component_with_its_own_warranty_stays(model):
    policy_create(
        product_model=model,
        effective_from=D("2020-01-01"),
        base_months=12,
        component_warranties=[ComponentPeriod(compressor(model), 60)],
    )
    before = WarrantyChange.objects.count()

    with pytest.raises(ValidationError) as renamed:
        product_model_update(product_model=model, data={"code": "KFR-99"})
    with pytest.raises(ValidationError) as removed:
        product_model_update(product_model=model, data={"name": "Renamed"}, components=[])

    assert "code" in renamed.value.message_dict and "components" in removed.value.message_dict
    model.refresh_from_db()
    assert (model.code, model.name, model.components.count()) == ("KFR-35GW", "Split air conditioner", 2)
    assert WarrantyChange.objects.count() == before


def test_a_category_change_is_logged_and_a_change_that_changes_nothing_is_not(model, admin_user):
    category = model.category

    product_category_update(category=category, data={"name": "Air conditioners"}, actor=admin_user)
    product_category_update(category=category, data={"name": "空调"}, actor=admin_user)

    assert [(change.action, change.changes) for change in log("product_category", category)] == [
        ("created", {"code": {"to": "ac"}, "name": {"to": "Air conditioners"}}),
        ("changed", {"name": {"from": "Air conditioners", "to": "空调"}}),
    ]


# --- policies -------------------------------------------------------------------------------


def test_a_policy_is_created_with_its_component_periods_in_one_transaction(model, admin_user):
    policy = policy_create(
        product_model=model,
        effective_from=D("2026-01-01"),
        base_months=24,
        labour_rate=Decimal("90.00"),
        component_warranties=[ComponentPeriod(compressor(model), 96, covers_labour=True)],
        actor=admin_user,
    )

    (period,) = policy.component_warranties.all()
    assert (period.component.code, period.months, period.covers_labour) == ("compressor", 96, True)
    (created,) = log("policy", policy)
    assert created.actor == admin_user
    assert created.changes["version"] == {"to": 1} and created.changes["labour_rate"] == {"to": "90.00"}
    assert created.changes["component_warranties"] == {
        "to": {"compressor": {"months": 96, "covers_parts": True, "covers_labour": True, "covers_travel": False}}
    }


@pytest.mark.parametrize(
    "periods",
    [
        pytest.param(lambda model, other: [ComponentPeriod(other, 60)], id="component-of-another-model"),
        pytest.param(lambda model, other: [ComponentPeriod(compressor(model), 0)], id="zero-months"),
        pytest.param(
            lambda model, other: [ComponentPeriod(compressor(model), 60), ComponentPeriod(compressor(model), 96)],
            id="component-twice",
        ),
    ],
)
def test_a_policy_with_a_bad_component_period_is_not_written_at_all(model, periods):
    other_model = product_model_create(
        code="RO-400G", name="Purifier", category=model.category, components=[ComponentSpec("filter", "Filter")]
    )
    other = other_model.components.get()

    with pytest.raises(ValidationError) as error:
        policy_create(
            product_model=model,
            effective_from=D("2026-01-01"),
            base_months=24,
            component_warranties=periods(model, other),
        )

    assert "component_warranties" in error.value.message_dict
    assert not WarrantyPolicy.objects.exists() and not ComponentWarranty.objects.exists()
    assert not WarrantyChange.objects.filter(subject="policy").exists()


def test_bad_exclusions_are_refused_by_the_service_itself(model):
    with pytest.raises(ValidationError) as error:
        policy_create(
            product_model=model, effective_from=D("2026-01-01"), base_months=12, exclusions={"liquid": "free"}
        )
    assert "exclusions" in error.value.message_dict


def test_correcting_a_version_logs_terms_and_periods_but_keeps_its_date_and_number(model, admin_user):
    policy = policy_create(
        product_model=model,
        effective_from=D("2026-01-01"),
        base_months=24,
        component_warranties=[ComponentPeriod(compressor(model), 60)],
    )
    board = model.components.get(code="board")

    policy_update(
        policy=policy,
        data={"base_months": 36, "notes": "typo fixed"},
        component_warranties=[ComponentPeriod(board, 24)],
        actor=admin_user,
    )

    policy.refresh_from_db()
    assert (policy.version, policy.effective_from, policy.base_months) == (1, D("2026-01-01"), 36)
    assert [(item.component.code, item.months) for item in policy.component_warranties.all()] == [("board", 24)]
    changed = log("policy", policy)[-1]
    assert (changed.action, changed.actor) == ("changed", admin_user)
    assert changed.changes["base_months"] == {"from": 24, "to": 36}
    assert changed.changes["component_warranties"] == {
        "board": {
            "from": None,
            "to": {"months": 24, "covers_parts": True, "covers_labour": False, "covers_travel": False},
        },
        "compressor": {
            "from": {"months": 60, "covers_parts": True, "covers_labour": False, "covers_travel": False},
            "to": None,
        },
    }
    with pytest.raises(ValidationError) as error:
        policy_update(policy=policy, data={"effective_from": D("2025-01-01")})
    assert "effective_from" in error.value.message_dict


# --- units and contracts ----------------------------------------------------------------------


@pytest.fixture
def unit(model):
    policy_create(product_model=model, effective_from=D("2020-01-01"), base_months=12)
    return unit_register(serial="KFR35-0001", product_model=model, purchase_date=D("2026-03-01"))


def test_a_units_owner_dates_and_channel_change_through_one_logged_service(unit, admin_user):
    owner = customer_create(name="赵敏", phone="13800138001")

    unit_update(
        unit=unit,
        data={"customer": owner, "purchase_date": D("2026-02-27"), "install_date": D("2026-03-02")},
        actor=admin_user,
    )

    unit.refresh_from_db()
    assert (unit.customer, unit.purchase_date, unit.install_date) == (owner, D("2026-02-27"), D("2026-03-02"))
    (changed,) = WarrantyChange.objects.filter(unit_id=unit.pk)
    assert (changed.subject, changed.action, changed.actor, changed.label) == (
        "unit",
        "changed",
        admin_user,
        unit.serial,
    )
    # The owner by id only: the log copies no personal data.
    assert changed.changes == {
        "customer": {"from": None, "to": owner.pk},
        "purchase_date": {"from": "2026-03-01", "to": "2026-02-27"},
        "install_date": {"from": None, "to": "2026-03-02"},
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"purchase_date": D("2026-12-01")}, "purchase_date"),
        ({"install_date": D("2026-01-01")}, "__all__"),
        ({"serial": "OTHER-1"}, "serial"),
        ({"product_model": None}, "product_model"),
    ],
)
def test_a_refused_unit_change_writes_nothing(unit, data, field):
    with pytest.raises(ValidationError) as error:
        unit_update(unit=unit, data=data)

    assert field in error.value.message_dict
    assert RegisteredUnit.objects.filter(pk=unit.pk, serial="KFR35-0001", install_date=None).exists()
    assert not WarrantyChange.objects.filter(unit_id=unit.pk).exists()


def test_attaching_a_proof_logs_its_stored_name(unit, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    unit = unit_attach_proof(unit=unit, proof_of_purchase=SimpleUploadedFile("invoice.pdf", PDF))

    (changed,) = WarrantyChange.objects.filter(unit_id=unit.pk)
    stored = changed.changes["proof_of_purchase"]
    assert stored == {"from": "", "to": unit.proof_of_purchase.name}
    assert stored["to"].startswith("proofs/") and "invoice" not in stored["to"]


def test_a_unit_is_registered_with_its_contracts_or_not_at_all(model, admin_user):
    policy_create(product_model=model, effective_from=D("2020-01-01"), base_months=12)
    extended_warranty_add(
        unit=unit_register(serial="OTHER-1", product_model=model, purchase_date=D("2026-01-01")),
        reference="EXT-TAKEN",
        starts_on=D("2027-01-02"),
        ends_on=D("2028-01-01"),
    )
    good = Contract("EXT-NEW", D("2027-03-02"), D("2029-03-01"), price=Decimal("399.00"))

    with pytest.raises(ValidationError):
        unit_register(
            serial="KFR35-0009",
            product_model=model,
            purchase_date=D("2026-03-01"),
            contracts=[good, Contract("EXT-TAKEN", D("2029-03-02"), D("2030-03-01"))],
        )
    assert not RegisteredUnit.objects.filter(serial="KFR35-0009").exists()

    unit = unit_register(
        serial="KFR35-0009", product_model=model, purchase_date=D("2026-03-01"), contracts=[good], actor=admin_user
    )
    (contract,) = unit.extended_warranties.all()
    (added,) = WarrantyChange.objects.filter(unit_id=unit.pk)
    assert (added.subject, added.object_id, added.action, added.actor) == (
        "extended_warranty",
        contract.pk,
        "created",
        admin_user,
    )
    assert added.changes["ends_on"] == {"to": "2029-03-01"} and added.changes["price"] == {"to": "399.00"}


def test_correcting_a_contract_is_logged_against_its_unit(unit, admin_user):
    contract = extended_warranty_add(unit=unit, reference="EXT-1", starts_on=D("2027-03-02"), ends_on=D("2028-03-01"))

    extended_warranty_update(contract=contract, data={"ends_on": D("2029-03-01")}, actor=admin_user)
    with pytest.raises(ValidationError):
        extended_warranty_update(contract=contract, data={"unit": None})

    contract.refresh_from_db()
    assert contract.ends_on == D("2029-03-01")
    assert [change.action for change in WarrantyChange.objects.filter(unit_id=unit.pk).order_by("id")] == [
        "created",
        "changed",
    ]
    assert WarrantyChange.objects.filter(unit_id=unit.pk).first().changes == {
        "ends_on": {"from": "2028-03-01", "to": "2029-03-01"}
    }


def test_the_change_log_is_append_only(unit):
    unit_update(unit=unit, data={"sales_channel": "online"})
    change = WarrantyChange.objects.get(unit_id=unit.pk)

    for attempt in (
        lambda: WarrantyChange.objects.filter(pk=change.pk).update(label="rewritten"),
        lambda: WarrantyChange.objects.filter(pk=change.pk).delete(),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            attempt()
    assert WarrantyChange.objects.get(unit_id=unit.pk).label == unit.serial
    assert ExtendedWarranty.objects.count() == 0 and ProductModel.objects.count() == 1
