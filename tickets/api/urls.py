"""Staff routes of the tickets app, mounted at ``/api/v1/tickets/`` by aftersales/urls.py.

The customer's endpoints (no login) live in ``public.py`` and are mounted under ``/api/v1/public/``.
"""

from rest_framework.routers import SimpleRouter

from .views import TicketViewSet

router = SimpleRouter()
router.register("", TicketViewSet, basename="ticket")

urlpatterns = router.urls
