"""The catalogue: product categories, models and their components; every change is logged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..choices import ProductKind
from ..models import Component, ComponentWarranty, ProductCategory, ProductModel
from .changes import Action, Subject, change_record, changed, created, field_values

CATEGORY_FIELDS = ("code", "name")
# A model's code is its address (API paths, imports, stored decisions name it): fixed once created.
MODEL_FIELDS = ("name", "category", "kind", "serial_case_sensitive", "is_active")


@dataclass(frozen=True)
class ComponentSpec:
    """A replaceable part of a model: an existing component (``id``) or a new one."""

    code: str
    name: str
    id: int | None = None


def _refuse_unknown(data: Mapping, allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})


@transaction.atomic
def product_category_create(*, code: str, name: str, actor=None) -> ProductCategory:
    category = ProductCategory(code=code, name=name)
    category.full_clean()
    category.save()
    values = created(field_values(category, CATEGORY_FIELDS))
    change_record(
        subject=Subject.PRODUCT_CATEGORY, instance=category, action=Action.CREATED, changes=values, actor=actor
    )
    return category


@transaction.atomic
def product_category_update(*, category: ProductCategory, data: Mapping[str, Any], actor=None) -> ProductCategory:
    _refuse_unknown(data, CATEGORY_FIELDS)
    category = ProductCategory.objects.select_for_update().get(pk=category.pk)
    before = field_values(category, data)
    for name, value in data.items():
        setattr(category, name, value)
    category.full_clean()
    changes = changed(before, field_values(category, data))
    if changes:
        category.save(update_fields=list(changes))
        change_record(
            subject=Subject.PRODUCT_CATEGORY, instance=category, action=Action.CHANGED, changes=changes, actor=actor
        )
    return category


def _set_components(product_model: ProductModel, components: Sequence[ComponentSpec]) -> dict:
    """Make the model's components exactly ``components``; returns ``{"added", "changed", "removed"}``
    (the empty ones left out)."""
    existing = {component.pk: component for component in product_model.components.all()}
    if any(spec.id is not None and spec.id not in existing for spec in components):
        raise ValidationError({"components": _("A component of another model was given.")})
    kept = {spec.id for spec in components if spec.id is not None}
    removed = [component for pk, component in existing.items() if pk not in kept]
    in_policies = sorted(
        set(ComponentWarranty.objects.filter(component__in=removed).values_list("component__code", flat=True))
    )
    if in_policies:
        raise ValidationError(
            {
                "components": _("%(codes)s has its own warranty in a policy and cannot be removed.")
                % {"codes": ", ".join(in_policies)}
            }
        )
    changes: dict[str, list] = {"added": [], "changed": [], "removed": []}
    for component in removed:
        changes["removed"].append({"code": component.code, "name": component.name})
        component.delete()
    for spec in components:
        # Every given id names one of ``existing`` (checked above).
        component = existing[spec.id] if spec.id is not None else Component(product_model=product_model)
        before = {"code": component.code, "name": component.name}
        component.code, component.name = spec.code.strip(), spec.name.strip()
        after = {"code": component.code, "name": component.name}
        if component.pk is not None and before == after:
            continue
        component.full_clean()
        if component.pk is None:
            changes["added"].append(after)
        else:
            changes["changed"].append({"from": before, "to": after})
        component.save()
    return {kind: items for kind, items in changes.items() if items}


@transaction.atomic
def product_model_create(
    *,
    code: str,
    name: str,
    category: ProductCategory,
    kind: str = ProductKind.HARDWARE,
    serial_case_sensitive: bool = False,
    is_active: bool = True,
    components: Sequence[ComponentSpec] = (),
    actor=None,
) -> ProductModel:
    """A model of the catalogue with its components. Raises ValidationError for a code already used."""
    product_model = ProductModel(
        code=code.strip(),
        name=name,
        category=category,
        kind=kind,
        serial_case_sensitive=serial_case_sensitive,
        is_active=is_active,
    )
    product_model.full_clean()
    product_model.save()
    values = field_values(product_model, ["code", *MODEL_FIELDS])
    values["components"] = _set_components(product_model, components).get("added", [])
    change_record(
        subject=Subject.PRODUCT_MODEL,
        instance=product_model,
        action=Action.CREATED,
        changes=created(values),
        actor=actor,
    )
    return product_model


@transaction.atomic
def product_model_update(
    *,
    product_model: ProductModel,
    data: Mapping[str, Any],
    components: Sequence[ComponentSpec] | None = None,
    actor=None,
) -> ProductModel:
    """Change ``data`` (some of ``MODEL_FIELDS``) and, when given, set the components to ``components``
    (a component left out is removed, unless a policy gives it its own warranty); logged."""
    if "code" in data and data["code"] != product_model.code:
        # Units, policies, imports and stored decisions name the model by its code.
        raise ValidationError({"code": _("The model code cannot be changed.")})
    data = {name: value for name, value in data.items() if name != "code"}
    _refuse_unknown(data, MODEL_FIELDS)
    product_model = ProductModel.objects.select_for_update().get(pk=product_model.pk)
    before = field_values(product_model, data)
    for name, value in data.items():
        setattr(product_model, name, value)
    product_model.full_clean()
    changes = changed(before, field_values(product_model, data))
    if changes:
        product_model.save(update_fields=list(changes))
    if components is not None and (component_changes := _set_components(product_model, components)):
        changes["components"] = component_changes
    change_record(
        subject=Subject.PRODUCT_MODEL, instance=product_model, action=Action.CHANGED, changes=changes, actor=actor
    )
    return product_model
