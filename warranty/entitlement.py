"""The entitlement decision: is this unit covered on this date for this fault, what is free, and why.

Pure calculation over loaded objects (policy, component warranty, extended contracts), so every
branch is tested by tables; ``services.warranty_decide`` loads the objects and stores snapshots.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .choices import PRODUCT_FAULTS, Charge, CoverageBasis, ExclusionTerms, FaultCause, ServiceMode
from .periods import last_covered_day

# Reason code → text; parameters are filled in the reader's language when rendered.
REASON_TEXTS = {
    "no_policy": _("No warranty policy of this model was in force at the purchase date %(purchase_date)s."),
    "base_covered": _("In the base warranty: %(months)s months from purchase on %(purchase_date)s, until %(until)s."),
    "base_expired": _("The base warranty of %(months)s months ended on %(until)s."),
    "component_covered": _("The %(component)s has its own %(months)s-month warranty, until %(until)s."),
    "component_expired": _("The %(component)s warranty of %(months)s months ended on %(until)s."),
    "extended_covered": _("Covered by extended warranty contract %(reference)s until %(until)s."),
    "not_yet_purchased": _("The date %(on_date)s is before the purchase date %(purchase_date)s."),
    "cause_parts_at_cost": _(
        "The cause (%(cause)s) is not covered by the warranty: labour is free, parts are charged at cost."
    ),
    "cause_chargeable": _(
        "The cause (%(cause)s) is excluded from the warranty: the repair is charged as out of warranty."
    ),
    "item_not_covered": _("%(item)s is not covered by this warranty and is charged."),
    "out_of_warranty": _(
        "Out of warranty: parts, labour and travel are quoted and need the customer's acceptance before work."
    ),
    "return_eligible": _("A quality problem may be returned until %(until)s with the proof of purchase."),
    "return_needs_proof": _("A return needs the proof of purchase (invoice or warranty card) on file."),
    "return_window_passed": _("The return window ended on %(until)s."),
    "exchange_design_defect": _("A design defect is exchanged on receipt of the unit."),
    "exchange_eligible": _("A quality fault may be exchanged until %(until)s."),
    "special_replacement": _("Any other replacement needs a supervisor's approval."),
}
ITEM_NAMES = {"parts": _("Parts"), "labour": _("Labour"), "travel": _("Travel")}


@dataclass(frozen=True)
class Reason:
    code: str
    params: dict = field(default_factory=dict)

    def render(self, language: str | None = None) -> str:
        with translation.override(language or translation.get_language()):
            params = dict(self.params)
            if "cause" in params:
                params["cause"] = str(FaultCause(params["cause"]).label)
            if "item" in params:
                params["item"] = str(ITEM_NAMES[params["item"]])
            return str(REASON_TEXTS[self.code]) % params


@dataclass(frozen=True)
class Coverage:
    """One source of cover that applies on the date: the base warranty, a component or a contract."""

    basis: str
    until: date
    parts: bool
    labour: bool
    travel: bool


@dataclass(frozen=True)
class PolicyTerms:
    """The policy fields the decision needs (a plain copy, so decisions can be computed anywhere)."""

    version: int
    base_months: int
    covers_parts: bool
    covers_labour: bool
    covers_travel: bool
    service_mode: str
    return_window_months: int
    exchange_window_days: int
    exchange_on_design_defect: bool
    exclusions: dict
    labour_rate: Decimal
    travel_fee: Decimal


@dataclass(frozen=True)
class ComponentTerms:
    code: str
    name: str
    months: int
    covers_parts: bool
    covers_labour: bool
    covers_travel: bool


@dataclass(frozen=True)
class ContractTerms:
    reference: str
    starts_on: date
    ends_on: date
    covers_parts: bool
    covers_labour: bool
    covers_travel: bool


@dataclass(frozen=True)
class Entitlement:
    in_warranty: bool
    basis: str | None
    expires_on: date | None
    covered: dict
    charges: dict
    return_eligible: bool
    exchange_eligible: bool
    needs_quote: bool
    reasons: list[Reason]

    def as_dict(self, language: str | None = None) -> dict:
        data = asdict(self)
        data["expires_on"] = self.expires_on.isoformat() if self.expires_on else None
        data["charges"] = {
            key: str(value) if isinstance(value, Decimal) else value for key, value in self.charges.items()
        }
        data["reasons"] = [reason.render(language) for reason in self.reasons]
        data["reason_codes"] = [{"code": reason.code, "params": reason.params} for reason in self.reasons]
        return data


def _charge(covered: bool) -> str:
    return Charge.FREE if covered else Charge.CHARGEABLE


def decide(
    *,
    purchase_date: date,
    on_date: date,
    cause: str,
    policy: PolicyTerms | None,
    component: ComponentTerms | None = None,
    contracts: tuple[ContractTerms, ...] = (),
    has_proof_of_purchase: bool = False,
) -> Entitlement:
    cause = FaultCause(cause)
    reasons: list[Reason] = []
    iso = date.isoformat
    if on_date < purchase_date:
        raise ValueError(Reason("not_yet_purchased", {"on_date": iso(on_date), "purchase_date": iso(purchase_date)}))

    coverages: list[Coverage] = []
    base_until = None
    if policy is None:
        reasons.append(Reason("no_policy", {"purchase_date": iso(purchase_date)}))
    else:
        base_until = last_covered_day(purchase_date, policy.base_months)
        params = {"months": policy.base_months, "purchase_date": iso(purchase_date), "until": iso(base_until)}
        if on_date <= base_until:
            coverages.append(
                Coverage(
                    CoverageBasis.BASE, base_until, policy.covers_parts, policy.covers_labour, policy.covers_travel
                )
            )
            reasons.append(Reason("base_covered", params))
        else:
            reasons.append(Reason("base_expired", params))
        if component is not None:
            component_until = last_covered_day(purchase_date, component.months)
            params = {"component": component.name, "months": component.months, "until": iso(component_until)}
            if on_date <= component_until:
                coverages.append(
                    Coverage(
                        CoverageBasis.COMPONENT,
                        component_until,
                        component.covers_parts,
                        component.covers_labour,
                        component.covers_travel,
                    )
                )
                if on_date > base_until:
                    reasons.append(Reason("component_covered", params))
            elif component.months > policy.base_months:
                reasons.append(Reason("component_expired", params))
    for contract in contracts:
        if contract.starts_on <= on_date <= contract.ends_on:
            coverages.append(
                Coverage(
                    CoverageBasis.EXTENDED,
                    contract.ends_on,
                    contract.covers_parts,
                    contract.covers_labour,
                    contract.covers_travel,
                )
            )
            reasons.append(
                Reason("extended_covered", {"reference": contract.reference, "until": iso(contract.ends_on)})
            )

    in_warranty = bool(coverages)
    covered = {
        "parts": any(coverage.parts for coverage in coverages),
        "labour": any(coverage.labour for coverage in coverages),
        "travel": any(coverage.travel for coverage in coverages),
        "on_site": policy is not None and policy.service_mode in (ServiceMode.ON_SITE, ServiceMode.BOTH),
        "mail_in": policy is not None and policy.service_mode in (ServiceMode.MAIL_IN, ServiceMode.BOTH),
    }
    terms = (policy.exclusions if policy else {}).get(str(cause)) if cause not in PRODUCT_FAULTS else None
    if in_warranty and terms == ExclusionTerms.PARTS_AT_COST:
        charges = {"parts": Charge.AT_COST, "labour": Charge.FREE, "travel": _charge(covered["travel"])}
        reasons.append(Reason("cause_parts_at_cost", {"cause": str(cause)}))
    elif in_warranty and terms is not None:
        charges = {"parts": Charge.CHARGEABLE, "labour": Charge.CHARGEABLE, "travel": Charge.CHARGEABLE}
        reasons.append(Reason("cause_chargeable", {"cause": str(cause)}))
    elif in_warranty:
        charges = {item: _charge(covered[item]) for item in ("parts", "labour", "travel")}
        reasons += [
            Reason("item_not_covered", {"item": item}) for item in ("parts", "labour", "travel") if not covered[item]
        ]
    else:
        charges = {"parts": Charge.CHARGEABLE, "labour": Charge.CHARGEABLE, "travel": Charge.CHARGEABLE}
        reasons.append(Reason("out_of_warranty"))
    if policy is not None:
        charges |= {"labour_rate": policy.labour_rate, "travel_fee": policy.travel_fee}

    return_eligible = exchange_eligible = False
    if policy is not None and cause in PRODUCT_FAULTS:
        return_until = last_covered_day(purchase_date, policy.return_window_months)
        if policy.return_window_months and on_date <= return_until:
            return_eligible = has_proof_of_purchase
            reasons.append(
                Reason(
                    "return_eligible" if has_proof_of_purchase else "return_needs_proof", {"until": iso(return_until)}
                )
            )
        elif policy.return_window_months:
            reasons.append(Reason("return_window_passed", {"until": iso(return_until)}))
        if cause == FaultCause.DESIGN_DEFECT and policy.exchange_on_design_defect and in_warranty:
            exchange_eligible = True
            reasons.append(Reason("exchange_design_defect"))
        elif policy.exchange_window_days:
            exchange_until = date.fromordinal(purchase_date.toordinal() + policy.exchange_window_days)
            if on_date <= exchange_until:
                exchange_eligible = True
                reasons.append(Reason("exchange_eligible", {"until": iso(exchange_until)}))
    reasons.append(Reason("special_replacement"))

    return Entitlement(
        in_warranty=in_warranty,
        basis=coverages[0].basis if coverages else None,
        expires_on=max((coverage.until for coverage in coverages), default=base_until),
        covered=covered,
        charges=charges,
        return_eligible=return_eligible,
        exchange_eligible=exchange_eligible,
        needs_quote=any(charges[item] != Charge.FREE for item in ("parts", "labour", "travel")),
        reasons=reasons,
    )
