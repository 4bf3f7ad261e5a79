"""Writes of registered units and their extended contracts; every change after registration is logged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core import clock

from ..models import ExtendedWarranty, ProductModel, RegisteredUnit
from .changes import Action, Subject, change_record, changed, created, field_values

# What may change once a unit is registered. The serial and the model are the unit (a wrong one is a
# different unit); the purchase date decides the policy version and the periods, so correcting it is
# logged like any other change, and decisions already recorded keep what they said.
UNIT_CHANGEABLE = ("customer", "purchase_date", "sales_channel", "install_date", "proof_of_purchase")
# The dates are checked together (installed on or after the purchase), whichever of them changes.
_UNIT_DATES = {"purchase_date", "install_date"}
CONTRACT_TERMS = ("reference", "starts_on", "ends_on", "covers_parts", "covers_labour", "covers_travel", "price")


@dataclass(frozen=True)
class Contract:
    """An extended warranty bought for a unit: its reference, first and last covered day, coverage, price."""

    reference: str
    starts_on: date
    ends_on: date
    covers_parts: bool = True
    covers_labour: bool = True
    covers_travel: bool = False
    price: Decimal = Decimal("0.00")


def _refuse_unknown(data: Mapping, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})


def _check_purchase_date(purchase_date: date) -> None:
    if purchase_date > clock.now().date():
        raise ValidationError({"purchase_date": _("The purchase date cannot be in the future.")})


def _differs(unit: RegisteredUnit, name: str, before, value) -> bool:
    if name == "proof_of_purchase":
        if getattr(value, "_committed", False):  # the stored file itself, given back
            return value.name != before
        # A new upload always replaces the stored file (even under the same name); "" removes it.
        return bool(value) or bool(before)
    return field_values(unit, [name])[name] != before


@transaction.atomic
def unit_register(
    *,
    serial: str,
    product_model: ProductModel,
    purchase_date: date,
    customer=None,
    sales_channel: str | None = None,
    install_date: date | None = None,
    proof_of_purchase=None,
    contracts: Sequence[Contract] = (),
    actor=None,
) -> RegisteredUnit:
    """A sold unit, with the extended ``contracts`` bought with it; its serial is normalised as its
    model prints it (``ProductModel.normalize_serial``).

    The registration is the row itself (``created_at``; an import keeps its job and file); the
    contracts are logged. Raises ValidationError for a serial already registered, a purchase date in
    the future, an install date before the purchase, a bad proof of purchase or a bad contract.
    """
    _check_purchase_date(purchase_date)
    unit = RegisteredUnit(
        serial=product_model.normalize_serial(serial),
        product_model=product_model,
        customer=customer,
        purchase_date=purchase_date,
        install_date=install_date,
    )
    if sales_channel:
        unit.sales_channel = sales_channel
    if proof_of_purchase is not None:
        unit.proof_of_purchase = proof_of_purchase
    unit.full_clean()
    unit.save()
    for contract in contracts:
        extended_warranty_add(unit=unit, actor=actor, **asdict(contract))
    return unit


@transaction.atomic
def unit_update(
    *, unit: RegisteredUnit, data: Mapping[str, Any], contracts: Sequence[Contract] = (), actor=None
) -> RegisteredUnit:
    """Change what ``data`` names of ``UNIT_CHANGEABLE`` (the owner, purchase or install date, sales
    channel, proof of purchase: a new upload, or ``""`` to remove it) and add the new extended
    ``contracts``; everything is logged with before and after.

    Raises ValidationError for another field, a purchase date in the future, an install date before the
    purchase, an unknown customer, a bad file or a bad contract; nothing is written then.
    """
    _refuse_unknown(data, UNIT_CHANGEABLE)
    unit = RegisteredUnit.objects.select_for_update().get(pk=unit.pk)
    before = field_values(unit, data)
    for name, value in data.items():
        setattr(unit, name, value)
    if "purchase_date" in data:
        _check_purchase_date(unit.purchase_date)
    checked = set(data) | (_UNIT_DATES if _UNIT_DATES & set(data) else set())
    # Only what changes is checked: a stored proof is not read again to change the owner.
    unit.full_clean(exclude=[field.name for field in unit._meta.fields if field.name not in checked])
    names = [name for name in data if _differs(unit, name, before[name], data[name])]
    if names:
        unit.save(update_fields=names)
        # After saving: an uploaded file has its stored (random) name only now.
        changes = changed({name: before[name] for name in names}, field_values(unit, names))
        change_record(
            subject=Subject.UNIT, instance=unit, action=Action.CHANGED, changes=changes, actor=actor, unit_id=unit.pk
        )
    for contract in contracts:
        extended_warranty_add(unit=unit, actor=actor, **asdict(contract))
    return unit


def unit_attach_proof(*, unit: RegisteredUnit, proof_of_purchase, actor=None) -> RegisteredUnit:
    """Attach (or replace) the invoice or warranty card: a logged ``unit_update``."""
    return unit_update(unit=unit, data={"proof_of_purchase": proof_of_purchase}, actor=actor)


@transaction.atomic
def extended_warranty_add(
    *, unit: RegisteredUnit, reference: str, starts_on: date, ends_on: date, actor=None, **terms
) -> ExtendedWarranty:
    """An extended warranty contract bought for ``unit``; ``terms`` are the other ``CONTRACT_TERMS``."""
    _refuse_unknown(terms, CONTRACT_TERMS)
    contract = ExtendedWarranty(unit=unit, reference=reference, starts_on=starts_on, ends_on=ends_on, **terms)
    contract.full_clean()
    contract.save()
    change_record(
        subject=Subject.EXTENDED_WARRANTY,
        instance=contract,
        action=Action.CREATED,
        changes=created(field_values(contract, CONTRACT_TERMS)),
        actor=actor,
        unit_id=unit.pk,
    )
    return contract


@transaction.atomic
def extended_warranty_update(*, contract: ExtendedWarranty, data: Mapping[str, Any], actor=None) -> ExtendedWarranty:
    """Correct a contract's reference, dates, coverage or price (not the unit it is for); logged."""
    _refuse_unknown(data, CONTRACT_TERMS)
    contract = ExtendedWarranty.objects.select_for_update().get(pk=contract.pk)
    before = field_values(contract, data)
    for name, value in data.items():
        setattr(contract, name, value)
    contract.full_clean()
    changes = changed(before, field_values(contract, data))
    if changes:
        contract.save(update_fields=list(changes))
        change_record(
            subject=Subject.EXTENDED_WARRANTY,
            instance=contract,
            action=Action.CHANGED,
            changes=changes,
            actor=actor,
            unit_id=contract.unit_id,
        )
    return contract
