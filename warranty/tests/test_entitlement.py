"""Every branch of the entitlement decision, table by table (pure: no database).

Dates follow China's Civil Code for periods in months (warranty/periods.py): a 12-month warranty
from 31 Jan 2026 covers through 31 Jan 2027.
"""

from datetime import date
from decimal import Decimal

import pytest

from warranty.choices import DEFAULT_EXCLUSIONS, Charge, CoverageBasis, ExclusionTerms, FaultCause, ServiceMode
from warranty.entitlement import ComponentTerms, ContractTerms, PolicyTerms, decide
from warranty.periods import last_covered_day

D = date.fromisoformat


def policy(**overrides) -> PolicyTerms:
    terms = {
        "version": 1,
        "base_months": 12,
        "covers_parts": True,
        "covers_labour": True,
        "covers_travel": True,
        "service_mode": ServiceMode.ON_SITE,
        "return_window_months": 6,
        "exchange_window_days": 15,
        "exchange_on_design_defect": True,
        "exclusions": {str(cause): str(terms) for cause, terms in DEFAULT_EXCLUSIONS.items()},
        "labour_rate": Decimal("80.00"),
        "travel_fee": Decimal("50.00"),
    }
    return PolicyTerms(**(terms | overrides))


COMPRESSOR = ComponentTerms(
    code="compressor", name="compressor", months=60, covers_parts=True, covers_labour=False, covers_travel=False
)


def codes(entitlement) -> list[str]:
    return [reason.code for reason in entitlement.reasons]


@pytest.mark.parametrize(
    ("start", "months", "last_day"),
    [
        ("2026-01-31", 12, "2027-01-31"),  # the corresponding day exists
        ("2026-01-31", 1, "2026-02-28"),  # no 31 Feb: the month's last day
        ("2028-01-31", 1, "2028-02-29"),  # leap year
        ("2024-02-29", 12, "2025-02-28"),  # leap day, next year has none
        ("2024-02-29", 48, "2028-02-29"),
        ("2026-03-31", 3, "2026-06-30"),
        ("2026-11-30", 3, "2027-02-28"),  # across a year end
        ("2026-12-15", 1, "2027-01-15"),
        ("2026-05-01", 0, "2026-05-01"),
        ("2026-05-31", -3, "2026-02-28"),  # negative months: used to invert periods
    ],
)
def test_last_covered_day(start, months, last_day):
    assert last_covered_day(D(start), months) == D(last_day)


@pytest.mark.parametrize(
    ("purchase", "on_date", "in_warranty", "basis"),
    [
        ("2026-01-31", "2026-01-31", True, CoverageBasis.BASE),  # the purchase day itself
        ("2026-01-31", "2027-01-31", True, CoverageBasis.BASE),  # last covered day
        ("2026-01-31", "2027-02-01", False, None),  # first uncovered day
        ("2024-02-29", "2025-02-28", True, CoverageBasis.BASE),
        ("2024-02-29", "2025-03-01", False, None),
        ("2026-12-31", "2027-12-31", True, CoverageBasis.BASE),  # year end
        ("2026-12-31", "2028-01-01", False, None),
    ],
)
def test_base_warranty_boundary_days(purchase, on_date, in_warranty, basis):
    result = decide(purchase_date=D(purchase), on_date=D(on_date), cause=FaultCause.QUALITY_DEFECT, policy=policy())

    assert result.in_warranty is in_warranty
    assert result.basis == basis
    assert result.expires_on == last_covered_day(D(purchase), 12)
    if in_warranty:
        assert {result.charges[item] for item in ("parts", "labour", "travel")} == {Charge.FREE}
        assert result.needs_quote is False
        assert codes(result)[0] == "base_covered"
    else:
        assert {result.charges[item] for item in ("parts", "labour", "travel")} == {Charge.CHARGEABLE}
        assert result.needs_quote is True
        assert "base_expired" in codes(result) and "out_of_warranty" in codes(result)


def test_software_support_of_three_months():
    terms = policy(base_months=3, covers_travel=False, service_mode=ServiceMode.MAIL_IN)
    inside = decide(purchase_date=D("2026-08-31"), on_date=D("2026-11-30"), cause="quality_defect", policy=terms)
    outside = decide(purchase_date=D("2026-08-31"), on_date=D("2026-12-01"), cause="quality_defect", policy=terms)

    assert inside.in_warranty and not outside.in_warranty
    assert inside.covered == {"parts": True, "labour": True, "travel": False, "on_site": False, "mail_in": True}
    # Travel is not part of a mail-in software warranty: charged, and said so.
    assert inside.charges["travel"] == Charge.CHARGEABLE
    assert "item_not_covered" in codes(inside)


@pytest.mark.parametrize(
    ("on_date", "in_warranty", "basis", "charges"),
    [
        # Inside the base warranty the component adds nothing: everything free.
        ("2026-12-31", True, CoverageBasis.BASE, ("free", "free", "free")),
        # After the base, the compressor's 5 years pay for the part only.
        ("2027-01-01", True, CoverageBasis.COMPONENT, ("free", "chargeable", "chargeable")),
        ("2030-12-31", True, CoverageBasis.COMPONENT, ("free", "chargeable", "chargeable")),  # last day of 60 months
        ("2031-01-01", False, None, ("chargeable", "chargeable", "chargeable")),
    ],
)
def test_component_warranty_outlasts_the_base(on_date, in_warranty, basis, charges):
    result = decide(
        purchase_date=D("2025-12-31"),
        on_date=D(on_date),
        cause="quality_defect",
        policy=policy(),
        component=COMPRESSOR,
    )

    assert (result.in_warranty, result.basis) == (in_warranty, basis)
    assert tuple(result.charges[item] for item in ("parts", "labour", "travel")) == charges
    if basis == CoverageBasis.COMPONENT:
        assert result.expires_on == D("2030-12-31")
        assert "component_covered" in codes(result)
    if not in_warranty:
        assert "component_expired" in codes(result)


def test_a_fault_outside_the_component_gets_only_the_base_warranty():
    result = decide(purchase_date=D("2025-12-31"), on_date=D("2027-06-01"), cause="quality_defect", policy=policy())
    assert result.in_warranty is False


@pytest.mark.parametrize(
    ("on_date", "in_warranty", "basis"),
    [
        ("2027-01-31", True, CoverageBasis.BASE),
        ("2027-02-01", True, CoverageBasis.EXTENDED),  # the contract starts when the base ends
        ("2029-01-31", True, CoverageBasis.EXTENDED),  # its last day
        ("2029-02-01", False, None),
    ],
)
def test_extended_contract_continues_the_cover(on_date, in_warranty, basis):
    contract = ContractTerms(
        reference="EW-2026-0001",
        starts_on=D("2027-02-01"),
        ends_on=D("2029-01-31"),
        covers_parts=True,
        covers_labour=True,
        covers_travel=False,
    )
    result = decide(
        purchase_date=D("2026-01-31"),
        on_date=D(on_date),
        cause="quality_defect",
        policy=policy(),
        contracts=(contract,),
    )

    assert (result.in_warranty, result.basis) == (in_warranty, basis)
    if basis == CoverageBasis.EXTENDED:
        assert result.expires_on == D("2029-01-31")
        assert result.charges["travel"] == Charge.CHARGEABLE  # this contract does not pay travel
        assert [reason.params.get("reference") for reason in result.reasons if reason.code == "extended_covered"] == [
            "EW-2026-0001"
        ]


CUSTOMER_CAUSED = [cause for cause, terms in DEFAULT_EXCLUSIONS.items() if terms == ExclusionTerms.PARTS_AT_COST]
FULLY_EXCLUDED = [cause for cause, terms in DEFAULT_EXCLUSIONS.items() if terms == ExclusionTerms.CHARGEABLE]


@pytest.mark.parametrize("cause", CUSTOMER_CAUSED)
def test_customer_caused_fault_in_warranty_has_free_labour_and_parts_at_cost(cause):
    result = decide(purchase_date=D("2026-06-01"), on_date=D("2026-11-24"), cause=cause, policy=policy())

    assert result.in_warranty is True
    assert (result.charges["parts"], result.charges["labour"]) == (Charge.AT_COST, Charge.FREE)
    assert result.needs_quote is True
    assert result.return_eligible is False and result.exchange_eligible is False
    assert "cause_parts_at_cost" in codes(result)


@pytest.mark.parametrize("cause", FULLY_EXCLUDED)
def test_excluded_fault_in_warranty_is_charged_as_out_of_warranty(cause):
    result = decide(purchase_date=D("2026-06-01"), on_date=D("2026-11-24"), cause=cause, policy=policy())

    assert result.in_warranty is True  # the unit is in warranty; this fault is not covered
    assert {result.charges[item] for item in ("parts", "labour", "travel")} == {Charge.CHARGEABLE}
    assert "cause_chargeable" in codes(result)


def test_every_exclusion_of_the_sources_is_known():
    # 002 §4, §19: abnormal use, storage/damp, unauthorised repair, liquid, wear, force majeure,
    # third-party installation, human damage.
    assert set(DEFAULT_EXCLUSIONS) == set(FaultCause) - {FaultCause.QUALITY_DEFECT, FaultCause.DESIGN_DEFECT}


def test_a_policy_may_drop_an_exclusion():
    terms = policy(exclusions={"liquid": "parts_at_cost"})  # wear no longer excluded
    result = decide(purchase_date=D("2026-06-01"), on_date=D("2026-11-24"), cause="normal_wear", policy=terms)
    assert {result.charges[item] for item in ("parts", "labour", "travel")} == {Charge.FREE}


def test_out_of_warranty_customer_caused_fault_is_fully_charged():
    result = decide(purchase_date=D("2024-01-01"), on_date=D("2026-11-24"), cause="liquid", policy=policy())
    assert {result.charges[item] for item in ("parts", "labour", "travel")} == {Charge.CHARGEABLE}
    assert "out_of_warranty" in codes(result)
    assert (result.charges["labour_rate"], result.charges["travel_fee"]) == (Decimal("80.00"), Decimal("50.00"))


@pytest.mark.parametrize(
    ("on_date", "proof", "cause", "return_eligible", "code"),
    [
        ("2026-07-31", True, "quality_defect", True, "return_eligible"),  # last day of 6 months
        ("2026-08-01", True, "quality_defect", False, "return_window_passed"),
        ("2026-03-01", False, "quality_defect", False, "return_needs_proof"),  # no invoice on file
        ("2026-03-01", True, "design_defect", True, "return_eligible"),
        ("2026-03-01", True, "liquid", False, None),  # a customer-caused fault is never returned
    ],
)
def test_return_window_of_six_months_needs_proof_and_a_product_fault(on_date, proof, cause, return_eligible, code):
    result = decide(
        purchase_date=D("2026-01-31"), on_date=D(on_date), cause=cause, policy=policy(), has_proof_of_purchase=proof
    )
    assert result.return_eligible is return_eligible
    if code:
        assert code in codes(result)


@pytest.mark.parametrize(
    ("on_date", "cause", "exchange_eligible"),
    [
        ("2026-02-15", "quality_defect", True),  # purchase + 15 days
        ("2026-02-16", "quality_defect", False),
        ("2026-12-01", "design_defect", True),  # design defect: exchange on receipt while in warranty
        ("2027-02-01", "design_defect", False),  # but not once out of warranty
        ("2026-02-10", "human_damage", False),
    ],
)
def test_exchange_rules(on_date, cause, exchange_eligible):
    result = decide(purchase_date=D("2026-01-31"), on_date=D(on_date), cause=cause, policy=policy())
    assert result.exchange_eligible is exchange_eligible


def test_no_policy_in_force_means_out_of_warranty_with_the_reason():
    result = decide(purchase_date=D("2026-01-31"), on_date=D("2026-02-01"), cause="quality_defect", policy=None)
    assert result.in_warranty is False
    assert codes(result)[0] == "no_policy"
    assert result.expires_on is None
    assert "labour_rate" not in result.charges


def test_a_date_before_the_purchase_is_refused():
    with pytest.raises(ValueError):
        decide(purchase_date=D("2026-01-31"), on_date=D("2026-01-30"), cause="quality_defect", policy=policy())


def test_an_unknown_cause_is_refused():
    with pytest.raises(ValueError):
        decide(purchase_date=D("2026-01-31"), on_date=D("2026-02-01"), cause="alien_attack", policy=policy())


def test_reasons_read_in_chinese_and_english():
    result = decide(purchase_date=D("2026-01-31"), on_date=D("2026-03-01"), cause="liquid", policy=policy())
    data_en = result.as_dict("en")
    data_zh = result.as_dict("zh-hans")

    assert data_en["reasons"][0] == "In the base warranty: 12 months from purchase on 2026-01-31, until 2027-01-31."
    assert "Liquid spill" in data_en["reasons"][1]
    assert data_zh["reasons"] != data_en["reasons"]
    assert data_en["expires_on"] == "2027-01-31"
    assert data_en["charges"]["labour_rate"] == "80.00"
    assert data_en["reason_codes"][0] == {
        "code": "base_covered",
        "params": {"months": 12, "purchase_date": "2026-01-31", "until": "2027-01-31"},
    }
