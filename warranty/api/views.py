"""Staff endpoints of the warranty app under ``/api/v1/warranty/``.

Thin on purpose: serializers check the input, ``services`` write, ``selectors`` read. What a role may
do is the Django permission of the resource (``warranty/permissions.py``); actions that are not
plain CRUD name their permissions in ``action_permissions``.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import IntegrityError
from django.db.models import Prefetch, Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from aftersales.core.api.errors import Conflict
from aftersales.core.api.permissions import ModelPermissions

from .. import selectors, services
from ..choices import ProductKind
from ..models import (
    Component,
    ComponentWarranty,
    EntitlementDecision,
    ProductModel,
    Quote,
    RegisteredUnit,
    SpecialReplacement,
    WarrantyPolicy,
)
from .serializers import (
    DecisionQuerySerializer,
    DecisionRecordSerializer,
    EntitlementDecisionSerializer,
    PolicyCreateSerializer,
    PolicySerializer,
    ProductModelSerializer,
    ProofUploadSerializer,
    QuoteCreateSerializer,
    QuoteSerializer,
    SpecialReplacementCreateSerializer,
    SpecialReplacementDecideSerializer,
    SpecialReplacementSerializer,
    UnitCreateSerializer,
    UnitSerializer,
)

# Serial numbers as printed on labels: letters (any script), digits and . _ - + # : — never a slash.
SERIAL_PATTERN = r"[\w.+#:\-]{1,64}"
# Model codes may hold spaces and most punctuation; only slashes and control characters are out.
MODEL_CODE_PATTERN = r"[^/\x00-\x1f\x7f]{1,50}"
ID_PATTERN = r"[0-9]{1,18}"


class HasPermissions(BasePermission):
    """Every one of ``perms`` (``app_label.codename``), for one action of a viewset."""

    def __init__(self, perms):
        self.perms = tuple(perms)

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.has_perms(self.perms))


class ActionPermissionsMixin:
    """Model permissions for the CRUD actions, named permissions for the others."""

    action_permissions: dict[str, tuple[str, ...]] = {}

    def get_permissions(self):
        perms = self.action_permissions.get(self.action)
        return [HasPermissions(perms)] if perms is not None else [ModelPermissions()]


def _reject_nul(value: str, field: str) -> str:
    # PostgreSQL text cannot hold NUL; without this a crafted query string would be a 500.
    if "\x00" in value:
        raise ValidationError({field: [_("Null characters are not allowed.")]}, code="null_characters_not_allowed")
    return value


def _query_params(request) -> dict:
    """The query string without empty values, so ``?date=`` means "not given" as in HTML forms."""
    return {key: value for key, value in request.query_params.items() if value != ""}


# --- catalogue ------------------------------------------------------------------------------


class ProductModelFilter(filters.FilterSet):
    category = filters.CharFilter(field_name="category__code", max_length=50)
    kind = filters.ChoiceFilter(choices=ProductKind.choices)
    is_active = filters.BooleanFilter()
    search = filters.CharFilter(method="filter_search", max_length=100, label="code or name")

    class Meta:
        model = ProductModel
        fields = ["category", "kind", "is_active"]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value)) if value else queryset


class ProductModelViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The catalogue: product models with their category and components (administrators edit it)."""

    serializer_class = ProductModelSerializer
    permission_classes = [ModelPermissions]
    filterset_class = ProductModelFilter
    lookup_field = "code"
    lookup_value_regex = MODEL_CODE_PATTERN
    queryset = (
        ProductModel.objects.select_related("category")
        .prefetch_related(Prefetch("components", queryset=Component.objects.order_by("code")))
        .order_by("code")
    )

    def perform_create(self, serializer):
        serializer.instance = services.product_model_create(**serializer.validated_data, actor=self.request.user)

    def perform_update(self, serializer):
        serializer.instance = services.product_model_update(
            product_model=serializer.instance, data=serializer.validated_data, actor=self.request.user
        )


class PolicyFilter(filters.FilterSet):
    model = filters.CharFilter(field_name="product_model__code", max_length=50)

    class Meta:
        model = WarrantyPolicy
        fields = ["model"]


@extend_schema_view(create=extend_schema(request=PolicyCreateSerializer, responses={201: PolicySerializer}))
class PolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Warranty policies, versioned per model: a change is a new version, never an edit (audit)."""

    serializer_class = PolicySerializer
    permission_classes = [ModelPermissions]
    filterset_class = PolicyFilter
    lookup_value_regex = ID_PATTERN
    queryset = (
        WarrantyPolicy.objects.select_related("product_model")
        .prefetch_related(
            Prefetch(
                "component_warranties",
                queryset=ComponentWarranty.objects.select_related("component").order_by("component__code"),
            )
        )
        .order_by("product_model__code", "-effective_from")
    )

    def get_serializer_class(self):
        return PolicyCreateSerializer if self.action == "create" else PolicySerializer

    def create(self, request, *args, **kwargs):
        serializer = PolicyCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        periods = [services.ComponentPeriod(**item) for item in data.pop("component_warranties", [])]
        try:
            policy = services.policy_create(
                product_model=data.pop("model"), component_warranties=periods, actor=request.user, **data
            )
        except IntegrityError as error:
            # Two administrators creating the same effective date at once: the loser sees a 409.
            raise Conflict(_("Another policy version was created at the same time; reload and retry.")) from error
        body = PolicySerializer(self.get_queryset().get(pk=policy.pk), context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


# --- units ----------------------------------------------------------------------------------


class IntegerFilter(filters.NumberFilter):
    field_class = forms.IntegerField  # whole numbers only: "1.5" days is a 400, not a silent rounding


class UnitFilter(filters.FilterSet):
    model = filters.CharFilter(field_name="product_model__code", max_length=50)
    category = filters.CharFilter(field_name="product_model__category__code", max_length=50)
    customer = IntegerFilter(method="filter_customer", min_value=1, max_value=2**63 - 1)
    purchase_date_from = filters.DateFilter(field_name="purchase_date", lookup_expr="gte")
    purchase_date_to = filters.DateFilter(field_name="purchase_date", lookup_expr="lte")
    expiring_within_days = IntegerFilter(
        method="filter_expiring", min_value=0, max_value=3650, label="base warranty ends within this many days"
    )

    class Meta:
        model = RegisteredUnit
        fields = ["model", "category", "customer"]

    def filter_customer(self, queryset, name, value):
        # Only an owner the user may see: otherwise the filter would say which units a hidden customer owns.
        return selectors.customer_units_visible(queryset, customer_id=int(value), user=self.request.user)

    def filter_expiring(self, queryset, name, value):
        expiring = selectors.units_expiring(today=timezone.localdate(), days=int(value))
        return queryset.filter(pk__in=expiring.values("pk"))


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "search",
                str,
                description="serial (or its start); for roles that see phone numbers also 4 or more digits of"
                " the phone of an owner they may see",
            )
        ]
    ),
    create=extend_schema(request=UnitCreateSerializer, responses={201: UnitSerializer}),
)
class UnitViewSet(
    ActionPermissionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Registered units, addressed by serial number (``/units/KFR35-2026-000123/``)."""

    serializer_class = UnitSerializer
    filterset_class = UnitFilter
    lookup_field = "serial"
    lookup_value_regex = SERIAL_PATTERN
    action_permissions = {
        "proof": ("warranty.change_registeredunit",),
        "decision": ("warranty.view_registeredunit", "warranty.view_entitlementdecision"),
    }

    def get_queryset(self):
        search = ""
        if self.action == "list":
            search = _reject_nul(self.request.query_params.get("search", "").strip()[:100], "search")
        return selectors.unit_list(user=self.request.user, search=search).prefetch_related(
            Prefetch("product_model__policies", queryset=WarrantyPolicy.objects.order_by("effective_from"))
        )

    def get_object(self):
        serial = self.kwargs[self.lookup_field]
        queryset = self.get_queryset()
        # As typed, else as most labels fold case (selectors.unit_by_serial does the same).
        unit = queryset.filter(serial=serial).first() or queryset.filter(serial=serial.upper()).first()
        if unit is None:
            raise NotFound(_("No unit with this serial number."))
        self.check_object_permissions(self.request, unit)
        return unit

    def _represent(self, unit: RegisteredUnit) -> dict:
        return UnitSerializer(self.get_queryset().get(pk=unit.pk), context=self.get_serializer_context()).data

    def create(self, request, *args, **kwargs):
        serializer = UnitCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            unit = services.unit_register(
                serial=data["serial"],
                product_model=data["model"],
                purchase_date=data["purchase_date"],
                customer=data.get("customer"),
                sales_channel=data.get("sales_channel"),
                install_date=data.get("install_date"),
            )
        except IntegrityError as error:
            # The same serial registered concurrently: the uniqueness check passed for both.
            raise ValidationError(
                {"serial": [_("A unit with this serial number is already registered.")]}, code="unique"
            ) from error
        return Response(self._represent(unit), status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": ProofUploadSerializer},
        responses={200: UnitSerializer},
        summary="Attach the proof of purchase (invoice or warranty card)",
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def proof(self, request, serial=None):
        unit = self.get_object()
        upload = ProofUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        services.unit_attach_proof(
            unit=unit, proof_of_purchase=upload.validated_data["proof_of_purchase"], actor=request.user
        )
        return Response(self._represent(unit))

    @extend_schema(
        parameters=[
            OpenApiParameter("date", OpenApiTypes.DATE, description="YYYY-MM-DD; today when left out"),
            OpenApiParameter("cause", str, description="fault cause, default quality_defect"),
            OpenApiParameter("component", str, description="code of the failed component"),
            OpenApiParameter("record", bool, description="POST stores the decision (needs add_entitlementdecision)"),
            OpenApiParameter("purpose", str, description="why it was recorded, e.g. a ticket number"),
        ],
        request=DecisionRecordSerializer,
        responses={200: OpenApiResponse(description="the entitlement, plus decision_id when recorded")},
        summary="Entitlement decision for this unit on a date and fault cause",
    )
    @action(detail=True, methods=["get", "post"])
    def decision(self, request, serial=None):
        """GET looks the decision up; POST also stores it (a write never rides on a GET: CSRF)."""
        unit = self.get_object()
        params = _query_params(request)
        if request.method == "POST":
            params |= {key: value for key, value in request.data.items() if value != ""} | {"record": True}
        elif str(params.get("record", "")).lower() in ("true", "1"):
            raise ValidationError({"record": [_("Record a decision with POST; GET only looks it up.")]})
        query = DecisionQuerySerializer(data=params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        if params["record"] and not request.user.has_perm("warranty.add_entitlementdecision"):
            raise PermissionDenied(_("You may look up decisions but not record them."))
        component = None
        if "component" in params:
            component = unit.product_model.components.filter(code=params["component"]).first()
            if component is None:
                raise ValidationError(
                    {
                        "component": [
                            _("The model %(model)s has no such component.") % {"model": unit.product_model.code}
                        ]
                    },
                    code="does_not_exist",
                )
        decision = services.warranty_decide(
            unit=unit,
            on_date=params.get("date") or timezone.localdate(),
            fault_cause=params["cause"],
            component=component,
        )
        stored = None
        if params["record"]:
            stored = services.warranty_decision_record(
                decision=decision, actor=request.user, purpose=params.get("purpose") or "api"
            )
        body = {
            "serial": unit.serial,
            "model": unit.product_model.code,
            "on_date": decision.on_date.isoformat(),
            "cause": decision.fault_cause,
            "component": component.code if component else None,
            "policy_version": decision.policy.version if decision.policy else None,
            **decision.entitlement.as_dict(language=translation.get_language()),
            "decision_id": stored.pk if stored else None,
        }
        return Response(body)


class DecisionViewSet(viewsets.ReadOnlyModelViewSet):
    """Stored decisions (audit): inputs, policy version and outputs as they were decided."""

    serializer_class = EntitlementDecisionSerializer
    permission_classes = [ModelPermissions]
    lookup_value_regex = ID_PATTERN
    queryset = EntitlementDecision.objects.select_related("unit", "decided_by").order_by("-decided_at", "-id")

    def get_queryset(self):
        queryset = super().get_queryset()
        serial = self.request.query_params.get("unit", "").strip()
        if serial:
            _reject_nul(serial, "unit")
            queryset = queryset.filter(Q(unit__serial=serial) | Q(unit__serial=serial.upper()))
        return queryset


# --- quotes and special replacements ---------------------------------------------------------


@extend_schema_view(create=extend_schema(request=QuoteCreateSerializer, responses={201: QuoteSerializer}))
class QuoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Quotes for chargeable work, as seen by whoever may see the ticket that uses them.

    There is no answering here: the customer accepts or declines on the ticket (its tracking link's
    ``approve_quote`` / ``decline_quote``, or the ticket's own action when staff record an answer
    given by phone), so the quote never moves without its ticket (issue #18 item 3).
    """

    serializer_class = QuoteSerializer
    permission_classes = [ModelPermissions]
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):
        return (
            selectors.quotes_visible_to(self.request.user)
            .select_related("unit", "created_by", "recorded_by")
            .prefetch_related("lines")
            .order_by("-created_at", "-id")
        )

    def create(self, request, *args, **kwargs):
        serializer = QuoteCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        quote = services.quote_create(
            decision=data["decision"],
            parts=[services.PartLine(**line) for line in data.get("parts", [])],
            labour_hours=data["labour_hours"],
            actor=request.user,
        )
        # The quote as made: someone who sees only their own tickets' quotes may not find it later.
        body = QuoteSerializer(Quote.objects.select_related("unit").prefetch_related("lines").get(pk=quote.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema_view(
    create=extend_schema(request=SpecialReplacementCreateSerializer, responses={201: SpecialReplacementSerializer})
)
class SpecialReplacementViewSet(
    ActionPermissionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Replacements outside the policy: anyone handling the case asks, a supervisor decides (002 §19)."""

    serializer_class = SpecialReplacementSerializer
    lookup_value_regex = ID_PATTERN
    action_permissions = {"decide": ("warranty.view_specialreplacement", services.APPROVE_PERMISSION)}
    queryset = SpecialReplacement.objects.select_related("unit", "requested_by", "decided_by").order_by(
        "-requested_at", "-id"
    )

    def create(self, request, *args, **kwargs):
        serializer = SpecialReplacementCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        replacement = services.special_replacement_request(
            unit=data["unit"], reason=data["reason"], actor=request.user, decision=data.get("decision")
        )
        body = SpecialReplacementSerializer(self.get_queryset().get(pk=replacement.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=SpecialReplacementDecideSerializer, responses={200: SpecialReplacementSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        replacement = self.get_object()
        answer = SpecialReplacementDecideSerializer(data=request.data)
        answer.is_valid(raise_exception=True)
        try:
            services.special_replacement_decide(
                replacement=replacement,
                approve=answer.validated_data["approve"],
                note=answer.validated_data["note"],
                actor=request.user,
            )
        except services.AlreadyAnswered as error:
            raise Conflict(_("The request has already been decided.")) from error
        except DjangoPermissionDenied as error:
            # e.g. approving one's own request: say why rather than the generic refusal.
            raise PermissionDenied(str(error)) from error
        return Response(SpecialReplacementSerializer(self.get_queryset().get(pk=replacement.pk)).data)
