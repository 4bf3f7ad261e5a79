"""The project's URLs plus plain Django views under ``/api/`` (not DRF), for the error-shape tests.

Every API view today is a DRF view; these stand for whatever plain view gets added under ``/api/``
later, so the tests prove the JSON shape does not depend on DRF handling the request.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST

from aftersales.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401


@require_POST
def plain_post(request):
    request.POST  # noqa: B018 - reading the form is what meets a too-large body
    return HttpResponse("ok")


def plain_forbidden(request):
    raise PermissionDenied("staff only")


def plain_crash(request):
    raise RuntimeError("a bug")


urlpatterns = [
    path("api/test/plain-post/", plain_post),
    path("api/test/forbidden/", plain_forbidden),
    path("api/test/crash/", plain_crash),
    path("test/plain-post/", plain_post),
    path("test/crash/", plain_crash),
    *urlpatterns,
]
