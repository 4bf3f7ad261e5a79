"""Demo data of the warranty app: a catalogue, versioned policies and sold units. Idempotent.

Run by ``manage.py seed_demo`` after core's demo (users, regions, customers). Purchase dates are
counted back from the day of seeding, so a fresh demo always shows every warranty state: in
warranty, ending within 30 days, expired, covered only by the compressor's own warranty, and under
an extended contract. The choices are drawn from a seeded generator: the same day gives the same data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from aftersales.core.models import Customer
from aftersales.core.services import customer_create, region_get_or_create
from warranty import selectors, services
from warranty.admin_selectors import first_purchase_covering
from warranty.choices import DEFAULT_EXCLUSIONS, ExclusionTerms, FaultCause, ProductKind, SalesChannel, ServiceMode
from warranty.models import ProductCategory, ProductModel, RegisteredUnit, WarrantyPolicy
from warranty.periods import last_covered_day

SEED = 20260101

CATEGORIES = [
    ("air-conditioner", "空调 Air conditioners"),
    ("water-purifier", "净水器 Water purifiers"),
    ("software", "软件 Software"),
]


@dataclass(frozen=True)
class PolicySpec:
    effective_from: date
    base_months: int
    component_months: dict[str, int] = field(default_factory=dict)
    terms: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ModelSpec:
    code: str
    name: str
    category: str
    kind: str
    serial_prefix: str
    components: list[tuple[str, str]]
    policies: list[PolicySpec]


# Exclusions as shipped, with normal wear of the filter cartridges (consumables) fully charged.
_PURIFIER_EXCLUSIONS = {
    **{str(cause): str(terms) for cause, terms in DEFAULT_EXCLUSIONS.items()},
    str(FaultCause.NORMAL_WEAR): str(ExclusionTerms.CHARGEABLE),
}

MODELS = [
    ModelSpec(
        code="KFR-35GW",
        name="分体壁挂式空调 1.5匹 Split air conditioner",
        category="air-conditioner",
        kind=ProductKind.HARDWARE,
        serial_prefix="KFR35",
        components=[
            ("compressor", "压缩机 compressor"),
            ("main-board", "主控板 main board"),
            ("fan-motor", "风机 fan motor"),
        ],
        policies=[
            # Hardware 12 months (000 P1§3(1)); the compressor 5 years (002 §19).
            PolicySpec(date(2018, 1, 1), 12, {"compressor": 60}, {"notes": "整机保修一年，压缩机保修五年。"}),
            # Units bought from 2026 get two years: visible as policy version 2.
            PolicySpec(date(2026, 1, 1), 24, {"compressor": 60}, {"notes": "2026 年起整机保修两年，压缩机保修五年。"}),
        ],
    ),
    ModelSpec(
        code="RO-400G",
        name="反渗透净水器 400G Water purifier",
        category="water-purifier",
        kind=ProductKind.HARDWARE,
        serial_prefix="RO400",
        components=[("filter", "滤芯 filter cartridge"), ("pump", "增压泵 booster pump")],
        policies=[
            PolicySpec(
                date(2018, 1, 1),
                12,
                terms={
                    "exclusions": _PURIFIER_EXCLUSIONS,
                    "notes": "滤芯属耗材，正常损耗不在保修范围内。Filter cartridges are consumables: wear is charged.",
                },
            )
        ],
    ),
    ModelSpec(
        code="SVC-DESK-PRO",
        name="售后服务台软件 专业版 Service desk software",
        category="software",
        kind=ProductKind.SOFTWARE,
        serial_prefix="SDP",
        components=[],
        policies=[
            # Software support 3 months (000 P1§3(1)), remote or mail-in: no site visits.
            PolicySpec(
                date(2018, 1, 1),
                3,
                terms={
                    "service_mode": ServiceMode.MAIL_IN,
                    "covers_travel": False,
                    "travel_fee": Decimal("0.00"),
                    "labour_rate": Decimal("120.00"),
                    "notes": "软件支持三个月，远程或寄修，不上门。",
                },
            ),
        ],
    ),
]

EXTRA_CUSTOMERS = [
    # name, phone, email, address, region code
    ("钱伟", "13700001234", "qianwei@example.com", "南京市鼓楼区中山路 18 号", "east"),
    ("Li Na", "15800002345", "lina@example.org", "北京市海淀区中关村大街 27 号", "north"),
    ("深圳海岸酒店管理有限公司", "075588886666", "it@coast-hotel.example", "深圳市南山区海德三道 1 号", "south"),
    ("郑洁", "13300003456", "", "重庆市渝中区解放碑 5 号", "west"),
    ("冯刚", "18900004567", "fenggang@example.net", "苏州市工业园区星湖街 328 号", "east"),
    ("Grace Lin", "+85291234567", "grace.lin@example.com", "广州市越秀区北京路 66 号", "south"),
]
REGION_NAMES = {"east": "华东区", "north": "华北区", "south": "华南区", "west": "西部区"}


@dataclass(frozen=True)
class UnitPlan:
    serial: str
    model_code: str
    purchase_date: date
    install_date: date | None
    sales_channel: str
    customer_index: int | None  # into the customers list, None for a unit sold without a registered owner
    state: str
    contract_until: date | None = None  # an extended contract from the end of the base warranty


def _days_ago(today: date, rng: random.Random, first: int, last: int) -> date:
    return today - timedelta(days=rng.randint(first, last))


def _expiring(today: date, rng: random.Random, months: int) -> date:
    """A purchase date whose base warranty of ``months`` ends within the next 30 days."""
    # The last covered day skips dates such as 29 February, so aim a few days inside the window.
    purchase = first_purchase_covering(months, today + timedelta(days=rng.randint(1, 25)))
    assert today <= last_covered_day(purchase, months) <= today + timedelta(days=30)
    return purchase


# state → number of units per model; the purchase dates that produce each state are below.
PLAN = {
    "KFR-35GW": {"in_warranty": 8, "compressor_only": 8, "expired": 5, "extended": 3},
    "RO-400G": {"in_warranty": 5, "expiring": 5, "expired": 5, "extended": 3},
    "SVC-DESK-PRO": {"in_warranty": 4, "expiring": 3, "expired": 5},
}


def unit_plan(*, today: date, customers: int) -> list[UnitPlan]:
    """The demo units, the same for the same day (a seeded generator, not the clock's randomness)."""
    rng = random.Random(SEED)  # noqa: S311 - demo data, not security
    base_months = {spec.code: spec.policies[-1].base_months for spec in MODELS}
    plan = []
    for spec in MODELS:
        number = 100
        for state, count in PLAN[spec.code].items():
            for _ in range(count):
                contract_until = None
                if state == "in_warranty":
                    purchase = _days_ago(today, rng, 10, 75 if spec.kind == ProductKind.SOFTWARE else 300)
                elif state == "expiring":
                    purchase = _expiring(today, rng, base_months[spec.code])
                elif state == "compressor_only":
                    # Past any version's base warranty (at most 24 months), inside the compressor's 60.
                    purchase = _days_ago(today, rng, 27 * 31, 54 * 31)
                elif state == "expired":
                    purchase = (
                        _days_ago(today, rng, 64 * 31, 80 * 31)
                        if spec.code == "KFR-35GW"
                        else (_days_ago(today, rng, 13 * 31, 40 * 31))
                    )
                else:  # extended: the base warranty is over, a contract continues it
                    purchase = (
                        _days_ago(today, rng, 25 * 31, 30 * 31)
                        if spec.code == "KFR-35GW"
                        else (_days_ago(today, rng, 13 * 31, 20 * 31))
                    )
                    contract_until = last_covered_day(purchase, 48)
                number += rng.randint(1, 40)
                hardware = spec.kind == ProductKind.HARDWARE
                install = min(purchase + timedelta(days=rng.randint(0, 7)), today) if hardware else None
                plan.append(
                    UnitPlan(
                        serial=f"{spec.serial_prefix}-{purchase.year}-{number:06d}",
                        model_code=spec.code,
                        purchase_date=purchase,
                        install_date=install,
                        sales_channel=rng.choice(list(SalesChannel.values)),
                        customer_index=None if rng.random() < 0.1 else rng.randrange(customers),
                        state=state,
                        contract_until=contract_until,
                    )
                )
    return plan


def _ensure_catalogue() -> dict[str, ProductModel]:
    """The demo categories, models and components; what exists already (a rerun) is kept as it is."""
    categories = {
        code: ProductCategory.objects.filter(code=code).first()
        or services.product_category_create(code=code, name=name)
        for code, name in CATEGORIES
    }
    models = {}
    for spec in MODELS:
        model = ProductModel.objects.filter(code=spec.code).first()
        components = [services.ComponentSpec(code=code, name=name) for code, name in spec.components]
        if model is None:
            model = services.product_model_create(
                code=spec.code,
                name=spec.name,
                category=categories[spec.category],
                kind=spec.kind,
                components=components,
            )
        else:
            existing = {component.code: component for component in model.components.all()}
            missing = [component for component in components if component.code not in existing]
            if missing:  # an older demo without them
                kept = [services.ComponentSpec(code=c.code, name=c.name, id=c.pk) for c in existing.values()]
                services.product_model_update(product_model=model, data={}, components=[*kept, *missing])
        models[spec.code] = model
    return models


def _ensure_policies(models: dict[str, ProductModel]) -> int:
    created = 0
    for spec in MODELS:
        model = models[spec.code]
        for policy_spec in spec.policies:
            if WarrantyPolicy.objects.filter(product_model=model, effective_from=policy_spec.effective_from).exists():
                continue
            services.policy_create(
                product_model=model,
                effective_from=policy_spec.effective_from,
                base_months=policy_spec.base_months,
                component_warranties=[
                    services.ComponentPeriod(component=model.components.get(code=component_code), months=months)
                    for component_code, months in policy_spec.component_months.items()
                ],
                **policy_spec.terms,
            )
            created += 1
    return created


def _customers() -> list[Customer]:
    for name, phone, email, address, region in EXTRA_CUSTOMERS:
        if not Customer.objects.filter(phone=phone).exists():
            customer_create(
                name=name,
                phone=phone,
                email=email,
                address=address,
                region=region_get_or_create(code=region, name=REGION_NAMES[region]),
            )
    return list(Customer.objects.order_by("id"))


def _ensure_units(models: dict[str, ProductModel], customers: list[Customer], today: date) -> int:
    # Purchase dates (and so serials) follow the day of seeding; rerunning on a later day must not
    # add a second set, so the demo units are created once, when the demo models have none.
    if RegisteredUnit.objects.filter(product_model__in=models.values()).exists():
        return 0
    created = 0
    for item in unit_plan(today=today, customers=len(customers)):
        unit = services.unit_register(
            serial=item.serial,
            product_model=models[item.model_code],
            purchase_date=item.purchase_date,
            install_date=item.install_date,
            sales_channel=item.sales_channel,
            customer=customers[item.customer_index] if item.customer_index is not None and customers else None,
        )
        if item.contract_until is not None:
            policy = selectors.policy_in_force(product_model_id=unit.product_model_id, on_date=unit.purchase_date)
            base_until = last_covered_day(unit.purchase_date, policy.base_months)
            services.extended_warranty_add(
                unit=unit,
                reference=f"EXT-{unit.serial}",
                starts_on=base_until + timedelta(days=1),
                ends_on=item.contract_until,
                covers_parts=True,
                covers_labour=True,
                covers_travel=True,
                price=Decimal("399.00"),
            )
        created += 1
    return created


@transaction.atomic
def seed(stdout) -> None:
    today = timezone.localdate()
    models = _ensure_catalogue()
    new_policies = _ensure_policies(models)
    customers = _customers()
    new_units = _ensure_units(models, customers, today)
    units = RegisteredUnit.objects.filter(product_model__in=models.values()).count()
    policies = WarrantyPolicy.objects.filter(product_model__in=models.values()).count()
    stdout.write(
        f"warranty: {len(models)} product models, {policies} policy versions ({new_policies} new), "
        f"{units} registered units ({new_units} new)"
    )
