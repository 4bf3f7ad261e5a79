"""Shapes of the parts API. Read serializers show codes, not ids: a part is its number (``sku``), a
warehouse its ``code``, a model its model code."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from warranty.models import ProductModel

from ..models import Part

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


__all__ = ["SKU_PATTERN", "CataloguePartCreateSerializer", "CataloguePartFilterSerializer", "CataloguePartSerializer"]
