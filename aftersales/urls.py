from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from aftersales.core import views as core_views

api_v1 = [
    path("", include("aftersales.core.api.urls")),
]

urlpatterns = [
    path("", core_views.portal_home, name="portal-home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler404 = "aftersales.core.views.not_found"
handler500 = "aftersales.core.views.server_error"
