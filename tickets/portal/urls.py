from django.urls import path

from . import views

app_name = "tickets_portal"

urlpatterns = [
    path("request/", views.request_create, name="request"),
    path("request/thanks/", views.request_thanks, name="request-thanks"),
    path("track/<str:token>/", views.track, name="track"),
    path("track/<str:token>/files/<int:attachment_id>/", views.track_attachment, name="attachment"),
]
