from django.urls import path

from . import views

app_name = "tickets_portal"

# Mounted at the site root by the portal shell (``cases.TICKETS.portal_urls``); following a request
# is the shell's /track/<token>/.
urlpatterns = [
    path("request/", views.request_create, name="request"),
    path("request/thanks/", views.request_thanks, name="request-thanks"),
]
