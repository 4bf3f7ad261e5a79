"""``/kpi/``: dashboards, records, exports and the report archive (mounted by aftersales/urls.py)."""

from django.urls import path

from . import views

app_name = "kpi"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.<str:fmt>", views.dashboard_export, name="export"),
    path("metrics/<str:key>/", views.records, name="records"),
    path("metrics/<str:key>/export.<str:fmt>", views.records_export, name="records-export"),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:pk>/", views.report, name="report"),
    path("reports/<int:pk>/<str:fmt>/", views.report_file, name="report-file"),
]
