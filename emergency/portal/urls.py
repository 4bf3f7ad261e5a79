"""The page behind the acknowledge link of a page message (mounted at the site root)."""

from django.urls import path

from . import views

urlpatterns = [
    path("incidents/<str:number>/acknowledge/<str:token>/", views.acknowledge, name="incident-acknowledge-link"),
]
