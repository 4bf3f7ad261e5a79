"""Warranty policies, versioned per model by effective date, with their components' own periods."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from ..models import Component, ComponentWarranty, ProductModel, WarrantyPolicy
from ..validators import validate_exclusions
from .changes import Action, Subject, change_record, changed, created, field_values

# The terms of a version. Its model, number and effective date are what units bought since rely on:
# they are fixed once the version exists (a new date is a new version).
POLICY_TERMS = (
    "base_months",
    "covers_parts",
    "covers_labour",
    "covers_travel",
    "service_mode",
    "return_window_months",
    "exchange_window_days",
    "exchange_on_design_defect",
    "exclusions",
    "labour_rate",
    "travel_fee",
    "notes",
)
_FIXED = ("product_model", "version", "effective_from")
_PERIOD_TERMS = ("months", "covers_parts", "covers_labour", "covers_travel")


@dataclass(frozen=True)
class ComponentPeriod:
    """A component's own warranty within a policy version, e.g. 60 months on a compressor (002 §19)."""

    component: Component
    months: int
    covers_parts: bool = True
    covers_labour: bool = False
    covers_travel: bool = False

    def terms(self) -> dict:
        return {name: value for name, value in asdict(self).items() if name != "component"}


def _refuse_unknown(terms: Mapping) -> None:
    unknown = sorted(set(terms) - set(POLICY_TERMS))
    if unknown:
        raise ValidationError({name: _("This is not a term of a warranty policy.") for name in unknown})


def _check_terms(policy: WarrantyPolicy) -> None:
    try:
        validate_exclusions(policy.exclusions)
    except ValidationError as error:
        raise ValidationError({"exclusions": error.messages}) from error
    policy.full_clean()


def _set_component_periods(policy: WarrantyPolicy, periods: Sequence[ComponentPeriod]) -> dict:
    """Make the policy's component periods exactly ``periods``; returns what changed, by component code."""
    codes = [period.component.code for period in periods]
    for period in periods:
        if period.component.product_model_id != policy.product_model_id:
            raise ValidationError(
                {
                    "component_warranties": _("%(code)s is not a component of %(model)s.")
                    % {"code": period.component.code, "model": policy.product_model.code}
                }
            )
    if len(set(codes)) != len(codes):
        raise ValidationError({"component_warranties": _("Each component may appear once.")})
    existing = {item.component_id: item for item in policy.component_warranties.select_related("component")}
    changes: dict[str, dict] = {}
    for period in periods:
        item = existing.pop(period.component.pk, None)
        before = field_values(item, _PERIOD_TERMS) if item else None
        item = item or ComponentWarranty(policy=policy, component=period.component)
        for name, value in period.terms().items():
            setattr(item, name, value)
        try:
            item.full_clean()
        except ValidationError as error:
            messages = [f"{period.component.code}: {message}" for message in error.messages]
            raise ValidationError({"component_warranties": messages}) from error
        if before != period.terms():
            item.save()
            changes[period.component.code] = {"from": before, "to": period.terms()}
    for item in existing.values():
        changes[item.component.code] = {"from": field_values(item, _PERIOD_TERMS), "to": None}
        item.delete()
    return changes


@transaction.atomic
def policy_create(
    *,
    product_model: ProductModel,
    effective_from: date,
    base_months: int,
    component_warranties: Sequence[ComponentPeriod] = (),
    actor=None,
    **terms,
) -> WarrantyPolicy:
    """A new policy version with its component periods, numbered after the model's latest; logged.

    Units bought before ``effective_from`` keep their earlier version. ``terms`` are the other
    ``POLICY_TERMS`` (defaults from the model otherwise). Raises ValidationError for a day another
    version already takes effect on, bad terms or exclusions, or a component of another model.
    """
    _refuse_unknown(terms)
    ProductModel.objects.select_for_update().get(pk=product_model.pk)  # serialise version numbers per model
    latest = WarrantyPolicy.objects.filter(product_model=product_model).aggregate(Max("version"))["version__max"]
    policy = WarrantyPolicy(
        product_model=product_model,
        version=(latest or 0) + 1,
        effective_from=effective_from,
        base_months=base_months,
        **terms,
    )
    _check_terms(policy)
    policy.save()
    periods = _set_component_periods(policy, component_warranties)
    values = field_values(policy, [*_FIXED, *POLICY_TERMS])
    values["component_warranties"] = {code: change["to"] for code, change in periods.items()}
    change_record(subject=Subject.POLICY, instance=policy, action=Action.CREATED, changes=created(values), actor=actor)
    return policy


@transaction.atomic
def policy_update(
    *,
    policy: WarrantyPolicy,
    data: Mapping[str, Any],
    component_warranties: Sequence[ComponentPeriod] | None = None,
    actor=None,
) -> WarrantyPolicy:
    """Correct the terms of a version (``data``: some of ``POLICY_TERMS``) and, when given, set its
    component periods to ``component_warranties``; logged with before and after.

    The model, the number and the effective date stay: units bought since rely on them. Decisions
    already recorded keep the terms they were made with (``EntitlementDecision`` is a snapshot).
    """
    fixed = [name for name in _FIXED if name in data and data[name] != getattr(policy, name)]
    if fixed:
        raise ValidationError(
            {
                name: _("A version's model, number and effective date cannot change; add a new version.")
                for name in fixed
            }
        )
    data = {name: value for name, value in data.items() if name not in _FIXED}
    _refuse_unknown(data)
    policy = WarrantyPolicy.objects.select_for_update().select_related("product_model").get(pk=policy.pk)
    before = field_values(policy, data)
    for name, value in data.items():
        setattr(policy, name, value)
    _check_terms(policy)
    changes = changed(before, field_values(policy, data))
    if changes:
        policy.save(update_fields=list(changes))
    if component_warranties is not None and (periods := _set_component_periods(policy, component_warranties)):
        changes["component_warranties"] = periods
    change_record(subject=Subject.POLICY, instance=policy, action=Action.CHANGED, changes=changes, actor=actor)
    return policy
