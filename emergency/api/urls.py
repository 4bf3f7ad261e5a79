"""Staff routes of emergency response, mounted at ``/api/v1/incidents/`` by aftersales/urls.py."""

from rest_framework.routers import SimpleRouter

from .views import IncidentViewSet

router = SimpleRouter()
router.register("", IncidentViewSet, basename="incident")

urlpatterns = router.urls
