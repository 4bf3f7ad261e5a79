"""Shapes of the warranty API: what staff read, and checks on what they send before services run."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aftersales.core.models import Customer

from ..admin_selectors import base_warranty_until, policy_from_prefetched
from ..choices import Charge, FaultCause, SalesChannel
from ..models import (
    Component,
    ComponentWarranty,
    EntitlementDecision,
    ProductCategory,
    ProductModel,
    Quote,
    QuoteLine,
    RegisteredUnit,
    SpecialReplacement,
    WarrantyPolicy,
)
from ..selectors import unit_by_serial, unit_owner
from ..validators import validate_exclusions, validate_proof_of_purchase

# The largest amount a money column (12 digits, 2 decimals) holds.
MAX_MONEY = Decimal("9999999999.99")
MAX_NOTE = 2000


# --- catalogue ------------------------------------------------------------------------------


class ComponentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Component
        fields = ["code", "name"]


class ProductModelSerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", queryset=ProductCategory.objects.all())
    category_name = serializers.CharField(source="category.name", read_only=True)
    components = ComponentSerializer(many=True, read_only=True)

    class Meta:
        model = ProductModel
        fields = [
            "code",
            "name",
            "category",
            "category_name",
            "kind",
            "serial_case_sensitive",
            "is_active",
            "components",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def validate_code(self, value: str) -> str:
        value = value.strip()
        # The code is the resource's address (/models/<code>/); a slash or control character would
        # make it unreachable.
        if not value or any(char == "/" or ord(char) < 32 or ord(char) == 127 for char in value):
            raise serializers.ValidationError(_("A model code may not contain slashes or control characters."))
        return value

    def validate(self, attrs):
        if self.instance is not None and "code" in attrs and attrs["code"] != self.instance.code:
            # Units, policies and imports name the model by its code; renaming would orphan them.
            raise serializers.ValidationError({"code": [_("The model code cannot be changed.")]})
        return attrs


# --- policies -------------------------------------------------------------------------------


class ComponentWarrantySerializer(serializers.ModelSerializer):
    component = serializers.CharField(source="component.code")
    component_name = serializers.CharField(source="component.name", read_only=True)

    class Meta:
        model = ComponentWarranty
        fields = ["component", "component_name", "months", "covers_parts", "covers_labour", "covers_travel"]


class PolicySerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="product_model.code", read_only=True)
    component_warranties = ComponentWarrantySerializer(many=True, read_only=True)

    class Meta:
        model = WarrantyPolicy
        fields = [
            "id",
            "model",
            "version",
            "effective_from",
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
            "component_warranties",
            "created_at",
        ]
        read_only_fields = fields


class ComponentWarrantyInputSerializer(serializers.Serializer):
    component = serializers.CharField(max_length=50)
    months = serializers.IntegerField(min_value=1, max_value=360)
    covers_parts = serializers.BooleanField(default=True)
    covers_labour = serializers.BooleanField(default=False)
    covers_travel = serializers.BooleanField(default=False)


class PolicyCreateSerializer(serializers.Serializer):
    """A new policy version; ``services.policy_create`` numbers it."""

    model = serializers.SlugRelatedField(slug_field="code", queryset=ProductModel.objects.all())
    effective_from = serializers.DateField()
    base_months = serializers.IntegerField(min_value=0, max_value=240)
    covers_parts = serializers.BooleanField(required=False)
    covers_labour = serializers.BooleanField(required=False)
    covers_travel = serializers.BooleanField(required=False)
    service_mode = serializers.ChoiceField(
        choices=WarrantyPolicy._meta.get_field("service_mode").choices, required=False
    )
    return_window_months = serializers.IntegerField(min_value=0, max_value=120, required=False)
    exchange_window_days = serializers.IntegerField(min_value=0, max_value=3650, required=False)
    exchange_on_design_defect = serializers.BooleanField(required=False)
    exclusions = serializers.JSONField(required=False, validators=[validate_exclusions])
    labour_rate = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False)
    travel_fee = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False)
    notes = serializers.CharField(max_length=MAX_NOTE, required=False, allow_blank=True)
    component_warranties = ComponentWarrantyInputSerializer(many=True, required=False, max_length=50)

    def validate(self, attrs):
        model = attrs["model"]
        if WarrantyPolicy.objects.filter(product_model=model, effective_from=attrs["effective_from"]).exists():
            raise serializers.ValidationError(
                {"effective_from": [_("A version of this model's policy already takes effect on that day.")]},
                code="unique",
            )
        components = {component.code: component for component in model.components.all()}
        resolved, errors = [], {}
        for index, item in enumerate(attrs.get("component_warranties", [])):
            component = components.get(item["component"])
            if component is None:
                errors[index] = {
                    "component": [
                        _("%(model)s has no component %(code)s.") % {"model": model.code, "code": item["component"]}
                    ]
                }
            elif any(seen["component"] == component for seen in resolved):
                errors[index] = {"component": [_("Each component may appear once.")]}
            else:
                resolved.append({**item, "component": component})
        if errors:
            raise serializers.ValidationError(
                {"component_warranties": [errors.get(index, {}) for index in range(len(attrs["component_warranties"]))]}
            )
        attrs["component_warranties"] = resolved
        return attrs


# --- units ----------------------------------------------------------------------------------


class UnitOwnerSerializer(serializers.Serializer):
    """Who owns the unit, as ``selectors.unit_owner`` shows them to the user (documentation only)."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    phone = serializers.CharField(help_text="masked unless the user may see contact details")


class UnitSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="product_model.code")
    model_name = serializers.CharField(source="product_model.name")
    customer = serializers.SerializerMethodField()
    has_proof_of_purchase = serializers.SerializerMethodField()
    policy_version = serializers.SerializerMethodField()
    base_warranty_until = serializers.SerializerMethodField()

    class Meta:
        model = RegisteredUnit
        fields = [
            "serial",
            "model",
            "model_name",
            "customer",
            "purchase_date",
            "sales_channel",
            "install_date",
            "has_proof_of_purchase",
            "policy_version",
            "base_warranty_until",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(UnitOwnerSerializer(allow_null=True))
    def get_customer(self, unit) -> dict | None:
        # None also when the user may not see who the owner is (issue #18 item 4).
        request = self.context.get("request")
        return unit_owner(unit, request.user if request else None)

    def get_has_proof_of_purchase(self, unit) -> bool:
        return bool(unit.proof_of_purchase)

    def _policy(self, unit):
        # The views prefetch the model's policies, so this costs no query per row.
        return policy_from_prefetched(unit.product_model.policies.all(), unit.purchase_date)

    def get_policy_version(self, unit) -> int | None:
        policy = self._policy(unit)
        return policy.version if policy else None

    def get_base_warranty_until(self, unit) -> str | None:
        until = base_warranty_until(unit.purchase_date, self._policy(unit))
        return until.isoformat() if until else None


class UnitCreateSerializer(serializers.Serializer):
    serial = serializers.CharField(max_length=64)
    model = serializers.SlugRelatedField(slug_field="code", queryset=ProductModel.objects.all())
    customer = serializers.PrimaryKeyRelatedField(queryset=Customer.objects.all(), required=False, allow_null=True)
    purchase_date = serializers.DateField()
    sales_channel = serializers.ChoiceField(choices=SalesChannel.choices, required=False)
    install_date = serializers.DateField(required=False, allow_null=True)

    def validate_purchase_date(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError(_("The purchase date cannot be in the future."))
        return value

    def validate(self, attrs):
        serial = attrs["model"].normalize_serial(attrs["serial"])
        if not serial:
            raise serializers.ValidationError({"serial": [_("Enter the serial number.")]})
        if any(ord(char) < 32 or ord(char) == 127 or char == "/" for char in serial):
            raise serializers.ValidationError(
                {"serial": [_("A serial number may not contain slashes or control characters.")]}
            )
        attrs["serial"] = serial
        if attrs.get("install_date") and attrs["install_date"] < attrs["purchase_date"]:
            raise serializers.ValidationError(
                {"install_date": [_("The unit cannot be installed before it was bought.")]}, code="invalid"
            )
        return attrs


class ProofUploadSerializer(serializers.Serializer):
    # The validator runs here too so the error keeps its code (file_type, file_size, file_content).
    proof_of_purchase = serializers.FileField(max_length=200, validators=[validate_proof_of_purchase])


# --- decisions ------------------------------------------------------------------------------


class DecisionQuerySerializer(serializers.Serializer):
    """``?date=YYYY-MM-DD&cause=...&component=<code>&record=true``; all optional."""

    date = serializers.DateField(required=False, input_formats=["iso-8601"])
    cause = serializers.ChoiceField(choices=FaultCause.choices, required=False, default=FaultCause.QUALITY_DEFECT)
    component = serializers.CharField(required=False, max_length=50)
    record = serializers.BooleanField(required=False, default=False)
    purpose = serializers.CharField(required=False, max_length=40, allow_blank=True)


class DecisionRecordSerializer(serializers.Serializer):
    """The body of ``POST units/<serial>/decision/``, which records the decision (the query string's
    values apply where the body leaves one out). It documents the body; ``DecisionQuerySerializer``
    checks it together with the query string."""

    date = serializers.DateField(required=False, input_formats=["iso-8601"])
    # Plain text in the schema: an enum named "cause" would collide with the complaints' causes.
    cause = serializers.CharField(
        required=False, help_text="fault cause, default quality_defect; one of: " + ", ".join(FaultCause.values)
    )
    component = serializers.CharField(required=False, max_length=50)
    purpose = serializers.CharField(required=False, max_length=40, allow_blank=True)


class PublicDecisionQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, input_formats=["iso-8601"])
    cause = serializers.ChoiceField(choices=FaultCause.choices, required=False, default=FaultCause.QUALITY_DEFECT)


class EntitlementDecisionSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.serial")
    decided_by = serializers.CharField(source="decided_by.username", default=None)

    class Meta:
        model = EntitlementDecision
        fields = [
            "id",
            "unit",
            "policy_version",
            "inputs",
            "outputs",
            "in_warranty",
            "decided_at",
            "decided_by",
            "purpose",
        ]
        read_only_fields = fields


# --- quotes ---------------------------------------------------------------------------------


class QuoteLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = QuoteLine
        fields = ["part_number", "description", "quantity", "unit_price", "charged_unit_price"]
        read_only_fields = fields


class QuoteSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.serial")
    lines = QuoteLineSerializer(many=True, read_only=True)
    created_by = serializers.CharField(source="created_by.username", default=None)
    recorded_by = serializers.CharField(source="recorded_by.username", default=None)

    class Meta:
        model = Quote
        fields = [
            "id",
            "unit",
            "decision",
            "status",
            "labour_hours",
            "labour_rate",
            "labour_amount",
            "travel_amount",
            "parts_amount",
            "total",
            "lines",
            "created_at",
            "created_by",
            "responded_at",
            "response_note",
            "recorded_by",
        ]
        read_only_fields = fields


class PartLineInputSerializer(serializers.Serializer):
    part_number = serializers.CharField(max_length=64)
    description = serializers.CharField(max_length=200)
    quantity = serializers.IntegerField(min_value=1, max_value=999)
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"))


class QuoteCreateSerializer(serializers.Serializer):
    decision = serializers.PrimaryKeyRelatedField(queryset=EntitlementDecision.objects.select_related("unit"))
    parts = PartLineInputSerializer(many=True, required=False, max_length=100)
    labour_hours = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=Decimal("0"), required=False, default=Decimal("0")
    )

    def validate(self, attrs):
        charges = attrs["decision"].outputs.get("charges", {})
        # The service prices what the stored decision says; refuse amounts the columns cannot hold
        # rather than failing in the database.
        labour = attrs["labour_hours"] * Decimal(charges.get("labour_rate", "0"))
        parts = sum((line["quantity"] * line["unit_price"] for line in attrs.get("parts", [])), Decimal("0"))
        travel = Decimal(charges.get("travel_fee", "0"))
        if max(labour, parts, labour + parts + travel) > MAX_MONEY:
            raise serializers.ValidationError(_("The quote's total is too large."), code="max_value")
        if all(charges.get(item) == Charge.FREE for item in ("parts", "labour", "travel")):
            raise serializers.ValidationError(
                {"decision": [_("Everything is covered by the warranty: no quote is needed.")]}, code="invalid"
            )
        return attrs


# --- special replacements -------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class UnitSerialField(serializers.RelatedField):
    """A unit named by its serial, however it was typed (trimmed, case-folded like the label)."""

    default_error_messages = {
        "does_not_exist": _("No unit with the serial number {value}."),
        "invalid": _("Give the serial number as text."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", RegisteredUnit.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        serial = data.strip()
        unit = unit_by_serial(serial) if serial and len(serial) <= 64 and "\x00" not in serial else None
        if unit is None:
            self.fail("does_not_exist", value=serial[:64])
        return unit

    def to_representation(self, value):
        return value.serial


class SpecialReplacementSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.serial")
    requested_by = serializers.CharField(source="requested_by.username")
    decided_by = serializers.CharField(source="decided_by.username", default=None)

    class Meta:
        model = SpecialReplacement
        fields = [
            "id",
            "unit",
            "decision",
            "reason",
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class SpecialReplacementCreateSerializer(serializers.Serializer):
    unit = UnitSerialField()
    reason = serializers.CharField(max_length=MAX_NOTE)
    decision = serializers.PrimaryKeyRelatedField(
        queryset=EntitlementDecision.objects.all(), required=False, allow_null=True
    )

    def validate(self, attrs):
        decision = attrs.get("decision")
        if decision is not None and decision.unit_id != attrs["unit"].pk:
            raise serializers.ValidationError({"decision": [_("This decision is about another unit.")]})
        return attrs


class SpecialReplacementDecideSerializer(serializers.Serializer):
    approve = serializers.BooleanField(required=True)
    note = serializers.CharField(max_length=MAX_NOTE, required=False, allow_blank=True, default="")
