from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets

from .. import selectors, services
from ..models import BusinessCalendar, WorkingPeriod
from .permissions import ModelPermissions
from .serializers import BusinessCalendarSerializer, CustomerSerializer


@extend_schema(parameters=[OpenApiParameter("search", str, description="name, email or phone number")])
class CustomerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CustomerSerializer
    permission_classes = [ModelPermissions]

    def get_queryset(self):
        return selectors.customer_list(
            search=self.request.query_params.get("search", "").strip()[:100], user=self.request.user
        )

    def perform_create(self, serializer):
        serializer.instance = services.customer_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.customer_update(customer=serializer.instance, **serializer.validated_data)


class BusinessCalendarViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = BusinessCalendarSerializer
    permission_classes = [ModelPermissions]
    lookup_field = "code"
    queryset = BusinessCalendar.objects.prefetch_related(
        Prefetch("working_periods", queryset=WorkingPeriod.objects.order_by("weekday", "start"))
    ).order_by("code")
