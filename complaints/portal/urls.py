from django.urls import path

from . import views

app_name = "complaints_portal"

urlpatterns = [
    path("complaint/", views.complaint_create_view, name="complaint"),
    path("complaint/thanks/", views.complaint_thanks, name="complaint-thanks"),
]
