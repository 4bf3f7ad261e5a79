"""Staff routes of spare parts, mounted at ``/api/v1/`` by aftersales/urls.py: ``parts/``,
``warehouses/``, ``stock/``, ``stock-movements/``, ``transfers/``, ``reservations/``."""

from rest_framework.routers import SimpleRouter

from .views import (
    PartViewSet,
    ReservationViewSet,
    StockMovementViewSet,
    StockViewSet,
    TransferViewSet,
    WarehouseViewSet,
)

router = SimpleRouter()
router.register("parts", PartViewSet, basename="part")
router.register("warehouses", WarehouseViewSet, basename="warehouse")
router.register("stock", StockViewSet, basename="stock")
router.register("stock-movements", StockMovementViewSet, basename="stock-movement")
router.register("transfers", TransferViewSet, basename="transfer")
router.register("reservations", ReservationViewSet, basename="reservation")

urlpatterns = router.urls
