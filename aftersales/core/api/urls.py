"""Core endpoints under ``/api/v1/``; each app adds its own ``api/urls.py`` to aftersales/urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .auth import LogoutAllView, LogoutView, ObtainTokenView
from .views import BusinessCalendarViewSet, CustomerViewSet

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("calendars", BusinessCalendarViewSet, basename="calendar")

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("auth/logout/", LogoutView.as_view(), name="api-logout"),
    path("auth/logout-all/", LogoutAllView.as_view(), name="api-logout-all"),
    *router.urls,
]
