"""Routes of the KPI API, mounted at ``/api/v1/kpi/``."""

from django.urls import path

from .views import KpiRecordsView, KpiSeriesView, KpiSummaryView

urlpatterns = [
    path("summary/", KpiSummaryView.as_view(), name="kpi-summary"),
    path("metrics/<str:key>/records/", KpiRecordsView.as_view(), name="kpi-records"),
    path("metrics/<str:key>/series/", KpiSeriesView.as_view(), name="kpi-series"),
]
