"""Writes of the warranty app: registering units, versioning policies, decisions, quotes, approvals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from aftersales.core import clock

from .choices import ApprovalStatus, Charge, FaultCause, QuoteStatus
from .entitlement import ComponentTerms, ContractTerms, Entitlement, PolicyTerms, decide
from .models import (
    Component,
    EntitlementDecision,
    ExtendedWarranty,
    ProductModel,
    Quote,
    QuoteLine,
    RegisteredUnit,
    SpecialReplacement,
    WarrantyPolicy,
)
from .selectors import policy_in_force

CENT = Decimal("0.01")
# Bounds that keep every quote inside its money columns (12 digits, 2 decimals).
MAX_QUANTITY, MAX_UNIT_PRICE, MAX_LABOUR_HOURS = 1000, Decimal("1000000"), Decimal("1000")


# --- units ----------------------------------------------------------------------------------


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
) -> RegisteredUnit:
    if purchase_date > clock.now().date():
        raise ValidationError({"purchase_date": "The purchase date is in the future."})
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
    return unit


@transaction.atomic
def unit_attach_proof(*, unit: RegisteredUnit, proof_of_purchase) -> RegisteredUnit:
    unit = RegisteredUnit.objects.select_for_update().get(pk=unit.pk)
    unit.proof_of_purchase = proof_of_purchase
    unit.full_clean()
    unit.save(update_fields=["proof_of_purchase"])
    return unit


# --- policies -------------------------------------------------------------------------------


@transaction.atomic
def policy_create(*, product_model: ProductModel, effective_from: date, base_months: int, **terms) -> WarrantyPolicy:
    """A new policy version; units bought before ``effective_from`` keep their earlier version."""
    ProductModel.objects.select_for_update().get(pk=product_model.pk)  # serialise version numbers per model
    latest = WarrantyPolicy.objects.filter(product_model=product_model).aggregate(Max("version"))["version__max"]
    policy = WarrantyPolicy(
        product_model=product_model,
        version=(latest or 0) + 1,
        effective_from=effective_from,
        base_months=base_months,
        **terms,
    )
    policy.full_clean()
    policy.save()
    return policy


@transaction.atomic
def extended_warranty_add(*, unit: RegisteredUnit, reference: str, starts_on: date, ends_on: date, **terms):
    contract = ExtendedWarranty(unit=unit, reference=reference, starts_on=starts_on, ends_on=ends_on, **terms)
    contract.full_clean()
    contract.save()
    return contract


# --- the decision ---------------------------------------------------------------------------


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


# --- quotes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartLine:
    part_number: str
    description: str
    quantity: int
    unit_price: Decimal  # list price, or cost price when parts are charged at cost


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@transaction.atomic
def quote_create(
    *, decision: EntitlementDecision, parts: Sequence[PartLine], labour_hours: Decimal, actor=None
) -> Quote:
    """Price the work as the stored decision says: free items cost nothing, the rest at the policy's rates."""
    charges = decision.outputs["charges"]
    if all(charges[item] == Charge.FREE for item in ("parts", "labour", "travel")):
        raise ValidationError("Everything is covered by the warranty: no quote is needed.")
    if not 0 <= labour_hours <= MAX_LABOUR_HOURS or any(
        not 1 <= line.quantity <= MAX_QUANTITY or not 0 <= line.unit_price <= MAX_UNIT_PRICE for line in parts
    ):
        raise ValidationError("Quantities are 1 to 1,000, prices 0 to 1,000,000 and labour hours 0 to 1,000.")
    if "labour_rate" not in charges:
        raise ValidationError("The unit's model has no warranty policy with labour and travel rates to quote from.")
    labour_rate = _money(Decimal(charges.get("labour_rate", "0")))
    labour_amount = _money(labour_hours * labour_rate) if charges["labour"] != Charge.FREE else Decimal("0.00")
    travel_amount = (
        _money(Decimal(charges.get("travel_fee", "0"))) if charges["travel"] != Charge.FREE else Decimal("0.00")
    )
    parts_paid = charges["parts"] != Charge.FREE
    lines = [
        QuoteLine(
            part_number=line.part_number,
            description=line.description,
            quantity=line.quantity,
            unit_price=_money(line.unit_price),
            charged_unit_price=_money(line.unit_price) if parts_paid else Decimal("0.00"),
        )
        for line in parts
    ]
    parts_amount = sum((line.charged_unit_price * line.quantity for line in lines), Decimal("0.00"))
    quote = Quote.objects.create(
        unit=decision.unit,
        decision=decision,
        labour_hours=labour_hours,
        labour_rate=labour_rate,
        labour_amount=labour_amount,
        travel_amount=travel_amount,
        parts_amount=parts_amount,
        total=labour_amount + travel_amount + parts_amount,
        created_at=clock.now(),
        created_by=actor,
    )
    for line in lines:
        line.quote = quote
    QuoteLine.objects.bulk_create(lines)
    return quote


class AlreadyAnswered(Exception):
    """The quote or request was already answered (or withdrawn)."""


@transaction.atomic
def quote_respond(*, quote: Quote, accepted: bool, note: str = "", actor=None, now: datetime | None = None) -> Quote:
    """Record the customer's answer (who recorded it and when); work may continue only after acceptance.

    Called only by the case that uses the quote, inside its own transition (the ticket's
    ``approve_quote`` / ``decline_quote``), so the quote and the ticket move together. The warranty
    app offers staff no way to answer a quote on its own: that left tickets stuck (issue #18 item 3).
    """
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status != QuoteStatus.PENDING:
        raise AlreadyAnswered(f"the quote is already {quote.status}")
    quote.status = QuoteStatus.ACCEPTED if accepted else QuoteStatus.DECLINED
    quote.responded_at = now or clock.now()
    quote.response_note = note
    quote.recorded_by = actor
    quote.save(update_fields=["status", "responded_at", "response_note", "recorded_by"])
    return quote


# --- special replacements -------------------------------------------------------------------

APPROVE_PERMISSION = "warranty.approve_specialreplacement"


@transaction.atomic
def special_replacement_request(
    *, unit: RegisteredUnit, reason: str, actor, decision: EntitlementDecision | None = None
) -> SpecialReplacement:
    if not reason.strip():
        raise ValidationError({"reason": "Say why the unit should be replaced outside the policy."})
    return SpecialReplacement.objects.create(
        unit=unit, decision=decision, reason=reason.strip(), requested_by=actor, requested_at=clock.now()
    )


@transaction.atomic
def special_replacement_decide(
    *, replacement: SpecialReplacement, approve: bool, actor, note: str = ""
) -> SpecialReplacement:
    """A supervisor approves or rejects (002 §19 特别更换条例: replacements need the department's approval)."""
    if not actor.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied("Only a supervisor may approve replacements outside the policy.")
    replacement = SpecialReplacement.objects.select_for_update().get(pk=replacement.pk)
    if replacement.status != ApprovalStatus.PENDING:
        raise AlreadyAnswered(f"the request is already {replacement.status}")
    if replacement.requested_by_id == actor.pk and not actor.is_superuser:
        raise PermissionDenied("A request is approved by someone other than the requester.")
    replacement.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    replacement.decided_by = actor
    replacement.decided_at = clock.now()
    replacement.decision_note = note
    replacement.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return replacement
