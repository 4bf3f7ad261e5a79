"""The entitlement decision: what a unit's warranty covers on a day for a fault, and keeping it for audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError

from aftersales.core import clock

from ..choices import FaultCause
from ..entitlement import ComponentTerms, ContractTerms, Entitlement, PolicyTerms, decide
from ..models import Component, EntitlementDecision, ProductModel, RegisteredUnit, WarrantyPolicy
from ..selectors import policy_in_force


@dataclass(frozen=True)
class Decision:
    unit: RegisteredUnit
    policy: WarrantyPolicy | None
    on_date: date
    fault_cause: str
    component: Component | None
    entitlement: Entitlement

    def inputs(self) -> dict:
        return {
            "serial": self.unit.serial,
            "model": self.unit.product_model.code,
            "purchase_date": self.unit.purchase_date.isoformat(),
            "on_date": self.on_date.isoformat(),
            "fault_cause": self.fault_cause,
            "component": self.component.code if self.component else None,
            "has_proof_of_purchase": bool(self.unit.proof_of_purchase),
        }


def _policy_terms(policy: WarrantyPolicy) -> PolicyTerms:
    return PolicyTerms(
        version=policy.version,
        base_months=policy.base_months,
        covers_parts=policy.covers_parts,
        covers_labour=policy.covers_labour,
        covers_travel=policy.covers_travel,
        service_mode=policy.service_mode,
        return_window_months=policy.return_window_months,
        exchange_window_days=policy.exchange_window_days,
        exchange_on_design_defect=policy.exchange_on_design_defect,
        exclusions=dict(policy.exclusions),
        labour_rate=policy.labour_rate,
        travel_fee=policy.travel_fee,
    )


def _component_terms(policy: WarrantyPolicy | None, component: Component | None) -> ComponentTerms | None:
    if policy is None or component is None:
        return None
    for item in policy.component_warranties.all():
        if item.component_id == component.pk:
            return ComponentTerms(
                code=component.code,
                name=component.name,
                months=item.months,
                covers_parts=item.covers_parts,
                covers_labour=item.covers_labour,
                covers_travel=item.covers_travel,
            )
    return None


def warranty_decide(
    *,
    unit: RegisteredUnit,
    on_date: date,
    fault_cause: str = FaultCause.QUALITY_DEFECT,
    component: Component | None = None,
) -> Decision:
    """Is ``unit`` covered on ``on_date`` for a fault of ``fault_cause`` (in ``component``), and why.

    Raises ValidationError for a date before the purchase or a component of another model.
    """
    if fault_cause not in FaultCause.values:
        raise ValidationError({"fault_cause": f"Unknown fault cause {str(fault_cause)[:40]!r}."})
    if component is not None and component.product_model_id != unit.product_model_id:
        raise ValidationError({"component": "This component does not belong to the unit's model."})
    policy = policy_in_force(product_model_id=unit.product_model_id, on_date=unit.purchase_date)
    contracts = tuple(
        ContractTerms(
            reference=contract.reference,
            starts_on=contract.starts_on,
            ends_on=contract.ends_on,
            covers_parts=contract.covers_parts,
            covers_labour=contract.covers_labour,
            covers_travel=contract.covers_travel,
        )
        for contract in unit.extended_warranties.order_by("starts_on")
    )
    try:
        entitlement = decide(
            purchase_date=unit.purchase_date,
            on_date=on_date,
            cause=fault_cause,
            policy=_policy_terms(policy) if policy else None,
            component=_component_terms(policy, component),
            contracts=contracts,
            has_proof_of_purchase=bool(unit.proof_of_purchase),
        )
    except ValueError as error:
        reason = error.args[0]
        raise ValidationError({"date": reason.render() if hasattr(reason, "render") else str(reason)}) from error
    return Decision(
        unit=unit,
        policy=policy,
        on_date=on_date,
        fault_cause=str(fault_cause),
        component=component,
        entitlement=entitlement,
    )


def warranty_estimate(*, product_model: ProductModel, purchase_date: date, on_date: date) -> Entitlement:
    """What the warranty of a unit of ``product_model`` bought on ``purchase_date`` would cover, for a
    unit nobody registered yet (the customer's portal): the policy in force at that date, a quality
    fault, no extended contracts and no proof of purchase on file — staff confirm it with the invoice.

    Raises ValidationError for a purchase date after ``on_date``.
    """
    policy = policy_in_force(product_model_id=product_model.pk, on_date=purchase_date)
    try:
        return decide(
            purchase_date=purchase_date,
            on_date=on_date,
            cause=FaultCause.QUALITY_DEFECT,
            policy=_policy_terms(policy) if policy else None,
        )
    except ValueError as error:
        reason = error.args[0]
        raise ValidationError(
            {"purchase_date": reason.render() if hasattr(reason, "render") else str(reason)}
        ) from error


def warranty_decision_record(*, decision: Decision, actor=None, purpose: str = "") -> EntitlementDecision:
    """Keep the decision as it was made (policy version, inputs, outputs in both languages) for audit."""
    outputs = decision.entitlement.as_dict(language="en")
    outputs["reasons_zh_hans"] = [reason.render("zh-hans") for reason in decision.entitlement.reasons]
    return EntitlementDecision.objects.create(
        unit=decision.unit,
        policy=decision.policy,
        policy_version=decision.policy.version if decision.policy else None,
        inputs=decision.inputs(),
        outputs=outputs,
        in_warranty=decision.entitlement.in_warranty,
        decided_at=clock.now(),
        decided_by=actor,
        purpose=purpose[:40],
    )
