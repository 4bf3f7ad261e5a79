"""``GET /api/v1/public/warranty/<serial>/``: the customer's warranty check (CONTRACT.md §4).

No login and no customer data: anyone who reads a serial number off a unit may ask what its warranty
covers, so the answer says nothing about who bought it, where, or how to reach them — only the
product, the dates and the decision. Rate-limited per client address (scope ``public``).
"""

from __future__ import annotations

import re

from django.utils import timezone, translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from aftersales.core.api.throttling import PublicRateThrottle

from .. import selectors, services
from .serializers import PublicDecisionQuerySerializer

# Anything that could be on a label; other input cannot name a unit (and NUL would upset PostgreSQL).
_SERIAL = re.compile(r"[^\x00-\x1f\x7f/]{1,64}")


PublicWarrantySerializer = inline_serializer(
    "PublicWarranty",
    {
        "serial": serializers.CharField(),
        "model": serializers.CharField(help_text="model code"),
        "model_name": serializers.CharField(),
        "on_date": serializers.DateField(),
        "cause": serializers.CharField(),
        "in_warranty": serializers.BooleanField(),
        "basis": serializers.CharField(allow_null=True, help_text="base, component or extended"),
        "expires_on": serializers.DateField(allow_null=True),
        "covered": serializers.DictField(child=serializers.BooleanField()),
        "charges": serializers.DictField(child=serializers.CharField()),
        "return_eligible": serializers.BooleanField(),
        "exchange_eligible": serializers.BooleanField(),
        "needs_quote": serializers.BooleanField(),
        "reasons": serializers.ListField(child=serializers.CharField()),
    },
)


class PublicWarrantyCheckView(APIView):
    authentication_classes: list = []  # public: a stale session or token must not turn it into a 401/403
    permission_classes = [AllowAny]
    throttle_classes = [PublicRateThrottle]
    throttle_scope = "public"

    @extend_schema(
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description="YYYY-MM-DD; today when left out"),
            OpenApiParameter("cause", str, description="fault cause, default quality_defect"),
        ],
        responses={
            200: PublicWarrantySerializer,
            400: OpenApiResponse(description="malformed date or cause"),
            404: OpenApiResponse(description="unknown serial number"),
            429: OpenApiResponse(description="too many requests"),
        },
        summary="Check a unit's warranty by serial number (public)",
        auth=[],
    )
    def get(self, request, serial: str):
        query = PublicDecisionQuerySerializer(
            data={key: value for key, value in request.query_params.items() if value != ""}
        )
        query.is_valid(raise_exception=True)
        serial = serial.strip()
        unit = selectors.unit_by_serial(serial) if _SERIAL.fullmatch(serial) else None
        if unit is None:
            raise NotFound()
        decision = services.warranty_decide(
            unit=unit,
            on_date=query.validated_data.get("date") or timezone.localdate(),
            fault_cause=query.validated_data["cause"],
        )
        entitlement = decision.entitlement.as_dict(language=translation.get_language())
        # Named fields only: the entitlement's own dict also carries reason codes and parameters,
        # and anything added to it later must not reach the public without a decision to publish it.
        return Response(
            {
                "serial": unit.serial,
                "model": unit.product_model.code,
                "model_name": unit.product_model.name,
                "on_date": decision.on_date.isoformat(),
                "cause": decision.fault_cause,
                "in_warranty": entitlement["in_warranty"],
                "basis": entitlement["basis"],
                "expires_on": entitlement["expires_on"],
                "covered": entitlement["covered"],
                "charges": entitlement["charges"],
                "return_eligible": entitlement["return_eligible"],
                "exchange_eligible": entitlement["exchange_eligible"],
                "needs_quote": entitlement["needs_quote"],
                "reasons": entitlement["reasons"],
            }
        )
