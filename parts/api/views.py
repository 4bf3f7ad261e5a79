"""Staff endpoints of spare parts and stock (CONTRACT.md §4 "Service operations (roots)").

Thin on purpose: filter serializers check the query string, ``selectors`` decide who sees what,
``services`` write and refuse (403 by role, 409 on too little stock, 400 on bad input).
"""

from __future__ import annotations

from django.db import IntegrityError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from aftersales.core.api.permissions import ModelPermissions
from aftersales.core.api.services import service_errors, validation_codes_kept

from .. import selectors, services
from ..models import Part
from .serializers import (
    SKU_PATTERN,
    CataloguePartCreateSerializer,
    CataloguePartFilterSerializer,
    CataloguePartSerializer,
)


class SelectorListMixin:
    """``list`` reads its filters with ``filter_serializer_class`` and asks ``select(user, **filters)``."""

    filter_serializer_class: type
    filter_backends: list = []

    def select(self, user, **filters):
        raise NotImplementedError

    def filters(self) -> dict:
        query = self.filter_serializer_class(data=self.request.query_params)  # type: ignore[attr-defined]
        query.is_valid(raise_exception=True)
        return {key: value for key, value in query.validated_data.items() if value is not None}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema needs the model, not a database
            return self.queryset.none()  # type: ignore[attr-defined]
        if self.action == "list":  # type: ignore[attr-defined]
            return self.select(self.request.user, **self.filters())  # type: ignore[attr-defined]
        return self.select(self.request.user)  # type: ignore[attr-defined]


# --- catalogue ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(parameters=[CataloguePartFilterSerializer], summary="The parts catalogue"),
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
    permission_classes = [ModelPermissions]
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
        try:
            with service_errors(), validation_codes_kept():
                data = dict(body.validated_data)
                part = services.part_create(actor=request.user, product_model=data.pop("model"), **data)
        except IntegrityError as error:  # the same number added at the same moment
            raise ValidationError({"sku": [_("A part with this number exists.")]}, code="unique") from error
        return Response(CataloguePartSerializer(part).data, status=status.HTTP_201_CREATED)
