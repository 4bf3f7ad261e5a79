"""Staff routes of the complaints app, mounted at ``/api/v1/complaints/`` by aftersales/urls.py.

The public intake lives in ``public.py`` and is mounted under ``/api/v1/public/``; tracking goes
through the shared ``/api/v1/public/track/<token>/`` endpoints.
"""

from rest_framework.routers import SimpleRouter

from .views import ComplaintViewSet

router = SimpleRouter()
router.register("", ComplaintViewSet, basename="complaint")

urlpatterns = router.urls
