from __future__ import annotations

from decimal import Decimal

from parts.models import Part, Warehouse, WarehouseTier
from warranty.tests.factories import ProductModelFactory


def part(**fields) -> Part:
    fields.setdefault("sku", f"P-{Part.objects.count() + 1}")
    fields.setdefault("name", "Compressor")
    fields.setdefault("price", Decimal("120.00"))
    if "product_model" not in fields:
        fields["product_model"] = ProductModelFactory()
    return Part.objects.create(**fields)


def warehouse(owner, *, tier: str = WarehouseTier.VAN, code: str | None = None, region=None) -> Warehouse:
    code = code or f"wh-{Warehouse.objects.count() + 1}"
    return Warehouse.objects.create(code=code, name=code, tier=tier, owner=owner, region=region)
