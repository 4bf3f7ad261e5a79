"""Routes of the bulk import, relative to ``/api/v1/warranty/``; included by warranty/api/urls.py."""

from django.urls import path

from .import_views import DETAIL_ROUTE, UnitImportCreateView, UnitImportDetailView

urlpatterns = [
    path("units/import/", UnitImportCreateView.as_view(), name="warranty-unit-import"),
    path("imports/<int:pk>/", UnitImportDetailView.as_view(), name=DETAIL_ROUTE),
]
