from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from aftersales.core import views as core_views
from aftersales.core.admin_inbox import inbox_urls
from warranty.api.public import PublicWarrantyCheckView

api_v1 = [
    path("", include("aftersales.core.api.urls")),
    path("warranty/", include("warranty.api.urls")),
    path("public/warranty/<str:serial>/", PublicWarrantyCheckView.as_view(), name="public-warranty-check"),
    path("tickets/", include("tickets.api.urls")),
    path("public/", include("tickets.api.public")),
    path("complaints/", include("complaints.api.urls")),
    path("public/", include("complaints.api.public")),
    path("incidents/", include("emergency.api.urls")),
    # parts/, warehouses/, stock/, stock-movements/, transfers/, reservations/
    path("", include("parts.api.urls")),
    path("kpi/", include("kpi.api.urls")),
    # /public/track/<token>/…: the portal shell's, for every kind of case.
    path("public/", include("aftersales.portal.api")),
]

urlpatterns = [
    # /, /track/<token>/ and every kind's intake page (/request/, /complaint/): the portal shell.
    path("", include("aftersales.portal.urls")),
    # The one-time acknowledge link of an emergency page (no login).
    path("", include("emergency.portal.urls")),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    *inbox_urls(),  # /admin/inbox/: the staff's in-app notifications (before the admin's catch-all)
    path("admin/", admin.site.urls),
    path("kpi/", include("kpi.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file (/api/docs/?script), not inline: CSP.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="core/swagger_ui.html"),
        name="api-docs",
    ),
]

# Django's own error pages, answered in the API's JSON shape under /api/ (aftersales/core/api/http_errors.py).
handler400 = "aftersales.core.api.http_errors.bad_request"
handler403 = "aftersales.core.api.http_errors.permission_denied"
handler404 = "aftersales.core.api.http_errors.not_found"
handler500 = "aftersales.core.api.http_errors.server_error"
