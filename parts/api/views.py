"""Staff endpoints of spare parts and stock (CONTRACT.md §4 "Service operations (roots)").

Thin on purpose: filter serializers check the query string, ``selectors`` decide who sees what,
``services`` write and refuse: 403 when the role or warehouse is not the caller's, 409 when there is
too little stock (or a transfer was already received), 400 on bad input — all as ``{"detail", "code"}``.
What a role may call at all is ``action_permissions`` (else ``view_permission``), asked before the
service asks its own predicate.
"""

from __future__ import annotations

from django.db import IntegrityError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from aftersales.core.api.permissions import ActionPermissions
from aftersales.core.api.services import service_errors, validation_codes_kept

from .. import selectors, services
from ..models import Part, Reservation, StockBalance, StockMovement, Transfer, Warehouse
from .errors import stock_service_errors
from .serializers import (
    SKU_PATTERN,
    AvailabilitySerializer,
    CataloguePartCreateSerializer,
    CataloguePartFilterSerializer,
    CataloguePartSerializer,
    ReorderPointSerializer,
    ReservationCreateSerializer,
    ReservationFilterSerializer,
    ReservationIssueSerializer,
    ReservationSerializer,
    StockFilterSerializer,
    StockMovementCreateSerializer,
    StockMovementFilterSerializer,
    StockMovementSerializer,
    StockRowSerializer,
    TransferCreateSerializer,
    TransferFilterSerializer,
    TransferSerializer,
    WarehouseFilterSerializer,
    WarehouseSerializer,
    stock_row,
)

ID_PATTERN = r"[0-9]{1,18}"
FORBIDDEN = OpenApiResponse(description="this role, or this warehouse, is not the caller's")
OUT_OF_STOCK = OpenApiResponse(description="not enough stock available (code `out_of_stock`)")


class SelectorListMixin:
    """``list`` reads its filters with ``filter_serializer_class`` and asks ``select(user, **filters)``;
    the other actions read ``select(user)`` (everything this user may see)."""

    filter_serializer_class: type
    filter_backends: list = []
    permission_classes = [ActionPermissions]
    action_permissions: dict[str, tuple[str, ...]] = {}
    queryset: object
    request: Request
    action: str | None

    def select(self, user, **filters):
        raise NotImplementedError

    def filters(self) -> dict:
        query = self.filter_serializer_class(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return {key: value for key, value in query.validated_data.items() if value is not None}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema needs the model, not a database
            return self.queryset.none()  # type: ignore[attr-defined]
        if self.action == "list":
            return self.select(self.request.user, **self.filters())
        return self.select(self.request.user)


# --- catalogue ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(parameters=[CataloguePartFilterSerializer], summary="The parts catalogue"),
    retrieve=extend_schema(summary="One part by its number"),
    create=extend_schema(
        request=CataloguePartCreateSerializer,
        responses={201: CataloguePartSerializer, 403: OpenApiResponse(description="only the stock manager adds parts")},
        summary="Add a part to the catalogue",
    ),
)
class PartViewSet(
    SelectorListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Parts by model and component, addressed by part number (``/parts/CMP-35/``)."""

    queryset = Part.objects.all()
    serializer_class = CataloguePartSerializer
    filter_serializer_class = CataloguePartFilterSerializer
    view_permission = "parts.view_part"
    action_permissions = {
        "create": ("parts.view_part", "parts.add_part"),
        "availability": ("parts.view_part", "parts.view_stockbalance"),
    }
    lookup_field = "sku"
    lookup_value_regex = SKU_PATTERN

    def select(self, user, **filters):
        return selectors.part_list(user=user, **filters)

    def get_object(self):
        part = self.get_queryset().filter(sku=self.kwargs["sku"]).first()
        if part is None:
            raise NotFound(_("No part with this number."))
        return part

    def create(self, request, *args, **kwargs):
        body = CataloguePartCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        try:
            with service_errors(), validation_codes_kept():
                part = services.part_create(actor=request.user, product_model=data.pop("model"), **data)
        except IntegrityError as error:  # the same number added at the same moment
            raise ValidationError({"sku": [_("A part with this number exists.")]}, code="unique") from error
        return Response(CataloguePartSerializer(part).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: AvailabilitySerializer},
        summary="Where the part can be taken now (nationwide lookup), nearest warehouse first",
    )
    @action(detail=True, methods=["get"])
    def availability(self, request, sku=None):
        part = self.get_object()
        rows = selectors.part_availability(user=request.user, part=part)
        return Response(
            {
                "part": part.sku,
                "available": sum(row.available for row in rows),
                "warehouses": [stock_row(row) for row in rows],
            }
        )


# --- warehouses -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(parameters=[WarehouseFilterSerializer], summary="Warehouses this user may see"),
    retrieve=extend_schema(summary="One warehouse by its code"),
)
class WarehouseViewSet(SelectorListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Central warehouse, regional stores and vans / stations (a technician sees their own van and the stores)."""

    queryset = Warehouse.objects.all()
    serializer_class = WarehouseSerializer
    filter_serializer_class = WarehouseFilterSerializer
    view_permission = "parts.view_warehouse"
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]{1,50}"

    def select(self, user, **filters):
        return selectors.warehouse_list(user=user, **filters)

    @extend_schema(responses={200: WarehouseSerializer(many=True)}, summary="My van: the warehouses I own")
    @action(detail=False, methods=["get"], pagination_class=None)
    def mine(self, request):
        return Response(WarehouseSerializer(selectors.warehouses_of(request.user), many=True).data)


# --- stock ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        parameters=[StockFilterSerializer],
        summary="Stock rows (part × warehouse): on hand, reserved, available",
    ),
    retrieve=extend_schema(summary="One stock row"),
)
class StockViewSet(SelectorListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Stock by warehouse; ``?part=X&available=true`` is the nationwide "where is part X" lookup,
    ``?warehouse=mine`` the technician's van."""

    queryset = StockBalance.objects.all()
    serializer_class = StockRowSerializer
    filter_serializer_class = StockFilterSerializer
    view_permission = "parts.view_stockbalance"
    action_permissions = {"reorder_point": ("parts.view_stockbalance", "parts.change_stockbalance")}
    lookup_value_regex = ID_PATTERN

    def select(self, user, **filters):
        return selectors.stock_list(user=user, **filters)

    @extend_schema(
        request=ReorderPointSerializer,
        responses={200: StockRowSerializer, 403: FORBIDDEN},
        summary="Set the reorder point of a part in a warehouse (low-stock alert below it)",
    )
    @action(detail=False, methods=["post"], url_path="reorder-point")
    def reorder_point(self, request):
        body = ReorderPointSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with stock_service_errors():
            balance = services.stock_reorder_point_set(actor=request.user, **body.validated_data)
        return Response(stock_row(StockBalance.objects.select_related("part", "warehouse__region").get(pk=balance.pk)))

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([stock_row(row) for row in page])

    def retrieve(self, request, *args, **kwargs):
        return Response(stock_row(self.get_object()))


# --- movements and transfers ----------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(parameters=[StockMovementFilterSerializer], summary="The stock movement log"),
    retrieve=extend_schema(summary="One stock movement"),
    create=extend_schema(
        request=StockMovementCreateSerializer,
        responses={
            201: StockMovementSerializer,
            400: OpenApiResponse(description="invalid input"),
            403: FORBIDDEN,
            409: OUT_OF_STOCK,
        },
        summary="Book a receipt, issue, return, scrap or count adjustment",
    ),
)
class StockMovementViewSet(
    SelectorListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Append-only: a movement is never changed; a mistake is corrected by another movement."""

    queryset = StockMovement.objects.all()
    serializer_class = StockMovementSerializer
    filter_serializer_class = StockMovementFilterSerializer
    view_permission = "parts.view_stockmovement"
    action_permissions = {
        "create": ("parts.view_stockmovement", "parts.add_stockmovement"),
        "transfer": ("parts.view_stockmovement", "parts.add_stockmovement"),
    }
    lookup_value_regex = ID_PATTERN

    def select(self, user, **filters):
        return selectors.movement_list(user=user, **filters)

    def create(self, request, *args, **kwargs):
        body = StockMovementCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with stock_service_errors():
            movement = services.stock_move(actor=request.user, **body.validated_data)
        return Response(StockMovementSerializer(movement).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=TransferCreateSerializer,
        responses={201: TransferSerializer, 403: FORBIDDEN, 409: OUT_OF_STOCK},
        summary="Send stock to another warehouse (in transit until received)",
    )
    @action(detail=False, methods=["post"])
    def transfer(self, request):
        body = TransferCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with stock_service_errors():
            transfer = services.stock_transfer_send(actor=request.user, **body.validated_data)
        return Response(TransferSerializer(transfer).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(parameters=[TransferFilterSerializer], summary="Transfers between warehouses"),
    retrieve=extend_schema(summary="One transfer"),
)
class TransferViewSet(SelectorListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Transfers in transit and received; send one with ``POST /stock-movements/transfer/``."""

    queryset = Transfer.objects.all()
    serializer_class = TransferSerializer
    filter_serializer_class = TransferFilterSerializer
    view_permission = "parts.view_transfer"
    action_permissions = {"receive": ("parts.view_transfer", "parts.add_stockmovement")}
    lookup_value_regex = ID_PATTERN

    def select(self, user, **filters):
        return selectors.transfer_list(user=user, **filters)

    @extend_schema(
        request=None,
        responses={
            200: TransferSerializer,
            403: FORBIDDEN,
            409: OpenApiResponse(description="already received"),
        },
        summary="Book the transfer into its destination (once)",
    )
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        request.data  # noqa: B018 - parsed so that a body which is not a JSON object is a 400, as everywhere
        transfer = self.get_object()
        with stock_service_errors():
            transfer = services.stock_transfer_receive(actor=request.user, transfer=transfer)
        return Response(TransferSerializer(transfer).data)


# --- reservations ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(parameters=[ReservationFilterSerializer], summary="Units held for tickets and incidents"),
    retrieve=extend_schema(summary="One reservation"),
    create=extend_schema(
        request=ReservationCreateSerializer,
        responses={201: ReservationSerializer, 403: FORBIDDEN, 409: OUT_OF_STOCK},
        summary="Hold units for a job (at the nearest warehouse that has them unless one is named)",
    ),
)
class ReservationViewSet(
    SelectorListMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Reserve when the repair is planned, issue against the reservation, release the rest."""

    queryset = Reservation.objects.all()
    serializer_class = ReservationSerializer
    filter_serializer_class = ReservationFilterSerializer
    view_permission = "parts.view_reservation"
    action_permissions = {
        "create": ("parts.view_reservation", "parts.add_stockmovement"),
        "issue": ("parts.view_reservation", "parts.add_stockmovement"),
        "release": ("parts.view_reservation", "parts.add_stockmovement"),
    }
    lookup_value_regex = ID_PATTERN

    def select(self, user, **filters):
        return selectors.reservation_list(user=user, **filters)

    def create(self, request, *args, **kwargs):
        body = ReservationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        warehouse = data.pop("warehouse", None)
        with stock_service_errors():
            if warehouse is None:
                reservation = services.reservation_plan(actor=request.user, **data)
            else:
                reservation = services.reservation_create(actor=request.user, warehouse=warehouse, **data)
        return Response(ReservationSerializer(reservation).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ReservationIssueSerializer,
        responses={200: StockMovementSerializer, 403: FORBIDDEN, 409: OpenApiResponse(description="closed")},
        summary="Issue reserved units to the job (the issue movement names its ticket)",
    )
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        body = ReservationIssueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reservation = self.get_object()
        with stock_service_errors():
            movement = services.reservation_issue(
                actor=request.user,
                reservation=reservation,
                quantity=body.validated_data.get("quantity"),
                reason=body.validated_data["reason"],
            )
        return Response(StockMovementSerializer(movement).data)

    @extend_schema(
        request=None,
        responses={200: ReservationSerializer, 403: FORBIDDEN, 409: OpenApiResponse(description="closed")},
        summary="Give back what is still held",
    )
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        request.data  # noqa: B018 - parsed so that a body which is not a JSON object is a 400, as everywhere
        reservation = self.get_object()
        with stock_service_errors():
            reservation = services.reservation_release(actor=request.user, reservation=reservation)
        return Response(ReservationSerializer(reservation).data)
