"""The customer's pages at the site root: the shell's own, then each kind's intake page (its spec's
``portal_urls``: ``/request/`` and the like)."""

from django.urls import include, path

from aftersales.core.cases import registered_cases

from . import recovery, views, warranty

urlpatterns = [
    path("", views.home, name="portal-home"),
    path("warranty/", warranty.warranty_check, name="portal-warranty"),
    # Before /track/<token>/: "lost" is no token (tokens are far longer).
    path("track/lost/", recovery.recover, name="portal-recover"),
    path("track/<str:token>/", views.track, name="portal-track"),
    path("track/<str:token>/files/<int:attachment_id>/", views.track_attachment, name="portal-track-file"),
    # The same file under the public API's word for it.
    path("track/<str:token>/attachments/<int:attachment_id>/", views.track_attachment),
    *[path("", include(spec.portal_urls)) for spec in registered_cases() if spec.portal_urls],
]
