"""Staff routes of spare parts, mounted at ``/api/v1/`` by aftersales/urls.py: ``parts/``,
``warehouses/``, ``stock/``, ``stock-movements/``, ``transfers/``."""

from rest_framework.routers import SimpleRouter

from .views import PartViewSet

router = SimpleRouter()
router.register("parts", PartViewSet, basename="part")

urlpatterns = router.urls
