"""``/api/v1/kpi/``: the summary of CONTRACT.md §4, the records behind a figure, time series."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from ..permissions import may_view_kpis
from ..registry import metric_get
from ..selectors import kpi_series, kpi_summary, metric_records, record_rows
from . import serializers as s


class MayViewKpis(BasePermission):
    """Managers and above; supervisors read too (every KPI endpoint is a read)."""

    def has_permission(self, request, view):
        return may_view_kpis(request.user)


class RecordsPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _metric_or_404(key: str):
    metric = metric_get(key)
    if metric is None:
        raise NotFound()
    return metric


def _query(serializer_class, request):
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


_KEY = OpenApiParameter("key", str, OpenApiParameter.PATH, description="metric key, e.g. avg_first_response_hours")


class KpiSummaryView(APIView):
    permission_classes = [MayViewKpis]

    @extend_schema(parameters=[s.KpiSummaryQuerySerializer], responses=s.SummarySerializer)
    def get(self, request):
        query = _query(s.KpiSummaryQuerySerializer, request)
        period = query["period"]
        metrics = kpi_summary(period=period, filters=query["filters"], group_by=query.get("group_by"))
        return Response({"metrics": metrics, "from": period.first, "to": period.last})


class KpiSeriesView(APIView):
    permission_classes = [MayViewKpis]

    @extend_schema(parameters=[_KEY, s.KpiSeriesQuerySerializer], responses=s.SeriesSerializer)
    def get(self, request, key: str):
        metric = _metric_or_404(key)
        query = _query(s.KpiSeriesQuerySerializer, request)
        points = kpi_series(metric=metric, period=query["period"], filters=query["filters"], interval=query["interval"])
        return Response(
            {
                "key": metric.key,
                "label": str(metric.label),
                "unit": metric.unit,
                "interval": query["interval"],
                "points": points,
            }
        )


def record_representation(row: dict) -> dict:
    row = dict(row)
    value = row.pop("record_value")
    return {
        "id": row.pop("pk"),
        "at": row.pop("record_at"),
        "value": None if value is None else float(value),
        "fields": row,
    }


class KpiRecordsView(APIView):
    permission_classes = [MayViewKpis]

    @extend_schema(parameters=[_KEY, s.KpiQuerySerializer], responses=s.RecordPageSerializer)
    def get(self, request, key: str):
        metric = _metric_or_404(key)
        query = _query(s.KpiQuerySerializer, request)
        if not metric.applicable(query["filters"]):
            rows = []
        else:
            rows = record_rows(metric, metric_records(metric, query["period"], query["filters"]))
        paginator = RecordsPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response([record_representation(row) for row in page or []])
