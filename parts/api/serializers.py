"""Shapes of the parts API. Read serializers show codes, not ids: a part is its number (``sku``), a
warehouse its ``code``, a model its model code."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from warranty.models import ProductModel

from ..models import (
    MovementKind,
    Part,
    Reservation,
    ReservationStatus,
    StockBalance,
    StockMovement,
    Transfer,
    TransferStatus,
    Warehouse,
    WarehouseTier,
)

# Part numbers as printed: letters, digits and . _ - + # (no slash: it is a path segment).
SKU_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._+#\-]{0,49}"


def _filters_given(data) -> dict:
    """The query string without empty values: ``?model=`` means "not given", as in HTML forms."""
    return {key: value for key, value in data.items() if value != ""}


class QueryFilterSerializer(serializers.Serializer):
    """Query-string filters, checked before a selector sees them."""

    def to_internal_value(self, data):
        return super().to_internal_value(_filters_given(data))

    def validate(self, attrs):
        for key, value in attrs.items():
            if isinstance(value, str) and "\x00" in value:
                raise serializers.ValidationError({key: [_("Null characters are not allowed.")]})
        return attrs


MAX_QUANTITY = 1_000_000


# --- catalogue ------------------------------------------------------------------------------


class CataloguePartSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="product_model.code", read_only=True)
    component = serializers.CharField(source="component.code", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Part
        fields = ["sku", "name", "model", "component", "serial_tracked", "price", "is_active"]
        read_only_fields = fields


class CataloguePartCreateSerializer(serializers.Serializer):
    sku = serializers.CharField(
        max_length=50, validators=[RegexValidator(rf"^{SKU_PATTERN}$", _("Letters, digits and . _ - + # only."))]
    )
    name = serializers.CharField(max_length=200)
    model = serializers.SlugRelatedField(slug_field="code", queryset=ProductModel.objects.all())
    component = serializers.CharField(max_length=50, required=False, allow_null=True, allow_blank=True)
    serial_tracked = serializers.BooleanField(default=False)
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0"), default=Decimal("0"))
    is_active = serializers.BooleanField(default=True)

    def validate(self, attrs):
        code = attrs.pop("component", None)
        attrs["component"] = None
        if code:
            component = attrs["model"].components.filter(code=code).first()
            if component is None:
                raise serializers.ValidationError(
                    {"component": [_("The model %(model)s has no such component.") % {"model": attrs["model"].code}]}
                )
            attrs["component"] = component
        return attrs


class CataloguePartFilterSerializer(QueryFilterSerializer):
    model = serializers.CharField(max_length=50, required=False, help_text="model code")
    component = serializers.CharField(max_length=50, required=False, help_text="component code")
    search = serializers.CharField(max_length=100, required=False, help_text="part number or name contains")
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)


# --- warehouses -----------------------------------------------------------------------------


class WarehouseSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True, allow_null=True, default=None)
    owner = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Warehouse
        fields = ["code", "name", "tier", "region", "owner"]
        read_only_fields = fields


class WarehouseFilterSerializer(QueryFilterSerializer):
    tier = serializers.ChoiceField(choices=WarehouseTier.choices, required=False)
    region = serializers.CharField(max_length=32, required=False, help_text="region code")


# --- stock ----------------------------------------------------------------------------------


class StockRowSerializer(serializers.ModelSerializer):
    """The schema of a stock row; the list writes rows with ``stock_row`` (a hot path: the nationwide lookup)."""

    part = serializers.CharField(source="part.sku", read_only=True)
    part_name = serializers.CharField(source="part.name", read_only=True)
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    tier = serializers.ChoiceField(source="warehouse.tier", choices=WarehouseTier.choices, read_only=True)
    region = serializers.CharField(source="warehouse.region.code", read_only=True, allow_null=True, default=None)
    available = serializers.IntegerField(read_only=True)
    low = serializers.SerializerMethodField()

    class Meta:
        model = StockBalance
        fields = [
            "id",
            "part",
            "part_name",
            "warehouse",
            "tier",
            "region",
            "on_hand",
            "reserved",
            "available",
            "reorder_point",
            "low",
        ]
        read_only_fields = fields

    def get_low(self, balance: StockBalance) -> bool:
        return balance.available < balance.reorder_point


def stock_row(balance: StockBalance) -> dict:
    """``StockRowSerializer(balance).data``, without DRF's per-field walk (tests hold them equal)."""
    warehouse, available = balance.warehouse, balance.on_hand - balance.reserved
    return {
        "id": balance.pk,
        "part": balance.part.sku,
        "part_name": balance.part.name,
        "warehouse": warehouse.code,
        "tier": warehouse.tier,
        "region": warehouse.region.code if warehouse.region_id else None,
        "on_hand": balance.on_hand,
        "reserved": balance.reserved,
        "available": available,
        "reorder_point": balance.reorder_point,
        "low": available < balance.reorder_point,
    }


class StockFilterSerializer(QueryFilterSerializer):
    warehouse = serializers.CharField(
        max_length=50, required=False, help_text="warehouse code, or `mine` for the user's own van(s)"
    )
    part = serializers.CharField(max_length=50, required=False, help_text="part number")
    model = serializers.CharField(max_length=50, required=False, help_text="model code of the part")
    tier = serializers.ChoiceField(choices=WarehouseTier.choices, required=False)
    region = serializers.CharField(max_length=32, required=False, help_text="region code of the warehouse")
    low = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="`true`: available below the reorder point"
    )
    available = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="`true`: at least one unit available"
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("warehouse") == "mine":
            attrs["warehouse"], attrs["mine"] = "", True
        return attrs


class ReorderPointSerializer(serializers.Serializer):
    warehouse = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    part = serializers.SlugRelatedField(slug_field="sku", queryset=Part.objects.all())
    reorder_point = serializers.IntegerField(
        min_value=0, max_value=MAX_QUANTITY, help_text="alert the stock manager when available falls below; 0: never"
    )


class AvailabilitySerializer(serializers.Serializer):
    part = serializers.CharField()
    available = serializers.IntegerField(help_text="units available in the warehouses listed")
    warehouses = StockRowSerializer(many=True, help_text="nearest first: own van, own region, other regions, central")


# --- movements and transfers ----------------------------------------------------------------


class StockMovementSerializer(serializers.ModelSerializer):
    part = serializers.CharField(source="part.sku", read_only=True)
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    actor = serializers.CharField(source="actor.username", read_only=True)

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "part",
            "warehouse",
            "kind",
            "quantity",
            "actor",
            "reason",
            "ticket_reference",
            "transfer",
            "created_at",
        ]
        read_only_fields = fields


# Transfers have their own action; the rest move stock in one warehouse.
SINGLE_WAREHOUSE_KINDS = [
    (value, label)
    for value, label in MovementKind.choices
    if value not in (MovementKind.TRANSFER_IN, MovementKind.TRANSFER_OUT)
]


class StockMovementCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SINGLE_WAREHOUSE_KINDS)
    warehouse = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    part = serializers.SlugRelatedField(slug_field="sku", queryset=Part.objects.all())
    quantity = serializers.IntegerField(
        min_value=-MAX_QUANTITY,
        max_value=MAX_QUANTITY,
        help_text="units (> 0); an adjustment is signed (the counted minus the booked quantity)",
    )
    reason = serializers.CharField(max_length=200)
    ticket_reference = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default="", help_text="required for an issue"
    )


class StockMovementFilterSerializer(QueryFilterSerializer):
    warehouse = serializers.CharField(max_length=50, required=False, help_text="warehouse code")
    part = serializers.CharField(max_length=50, required=False, help_text="part number")
    kind = serializers.ChoiceField(choices=MovementKind.choices, required=False)
    ticket_reference = serializers.CharField(max_length=50, required=False, help_text="ticket or incident number")


class TransferSerializer(serializers.ModelSerializer):
    part = serializers.CharField(source="part.sku", read_only=True)
    source = serializers.CharField(source="source.code", read_only=True)
    destination = serializers.CharField(source="destination.code", read_only=True)

    class Meta:
        model = Transfer
        fields = ["id", "part", "source", "destination", "quantity", "status", "created_at"]
        read_only_fields = fields


class TransferCreateSerializer(serializers.Serializer):
    source = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    destination = serializers.SlugRelatedField(slug_field="code", queryset=Warehouse.objects.all())
    part = serializers.SlugRelatedField(slug_field="sku", queryset=Part.objects.all())
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    reason = serializers.CharField(max_length=200)


class TransferFilterSerializer(QueryFilterSerializer):
    status = serializers.ChoiceField(choices=TransferStatus.choices, required=False)
    warehouse = serializers.CharField(max_length=50, required=False, help_text="source or destination code")
    part = serializers.CharField(max_length=50, required=False, help_text="part number")


# --- reservations ---------------------------------------------------------------------------


class ReservationSerializer(serializers.ModelSerializer):
    part = serializers.CharField(source="part.sku", read_only=True)
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    outstanding = serializers.IntegerField(read_only=True)

    class Meta:
        model = Reservation
        fields = [
            "id",
            "part",
            "warehouse",
            "ticket_reference",
            "quantity",
            "issued",
            "released",
            "outstanding",
            "status",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class ReservationCreateSerializer(serializers.Serializer):
    part = serializers.SlugRelatedField(slug_field="sku", queryset=Part.objects.all())
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    ticket_reference = serializers.CharField(max_length=50, help_text="the ticket or incident the units are for")
    warehouse = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Warehouse.objects.all(),
        required=False,
        allow_null=True,
        help_text="left out: the nearest warehouse that has the units and where the caller may move stock",
    )


class ReservationIssueSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(
        min_value=1, max_value=MAX_QUANTITY, required=False, allow_null=True, help_text="all outstanding by default"
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ReservationFilterSerializer(QueryFilterSerializer):
    ticket_reference = serializers.CharField(max_length=50, required=False, help_text="ticket or incident number")
    warehouse = serializers.CharField(max_length=50, required=False, help_text="warehouse code")
    part = serializers.CharField(max_length=50, required=False, help_text="part number")
    status = serializers.ChoiceField(choices=ReservationStatus.choices, required=False)
