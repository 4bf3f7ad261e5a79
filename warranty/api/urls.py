"""Staff routes of the warranty app, mounted at ``/api/v1/warranty/`` by aftersales/urls.py.

The public check lives in ``public.py`` and is mounted under ``/api/v1/public/``.
"""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .views import (
    DecisionViewSet,
    PolicyViewSet,
    ProductModelViewSet,
    QuoteViewSet,
    SpecialReplacementViewSet,
    UnitViewSet,
)

router = SimpleRouter()
router.register("models", ProductModelViewSet, basename="warranty-model")
router.register("policies", PolicyViewSet, basename="warranty-policy")
router.register("units", UnitViewSet, basename="warranty-unit")
router.register("decisions", DecisionViewSet, basename="warranty-decision")
router.register("quotes", QuoteViewSet, basename="warranty-quote")
router.register("replacements", SpecialReplacementViewSet, basename="warranty-replacement")

urlpatterns = [
    # The bulk import's fixed paths (units/import/) come first: the unit routes would read "import"
    # as a serial number.
    path("", include("warranty.api.import_urls")),
    *router.urls,
]
