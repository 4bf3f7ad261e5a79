"""The admin's bulk import of sold units: the upload page, the progress/result page, past imports.

``import_urls(admin_site)`` returns the two pages' routes for ``RegisteredUnitAdmin.get_urls()``,
which puts them in front of its own (``/admin/warranty/registeredunit/import/``). Small files are
imported in the request; either way the upload redirects to the job's page, which refreshes
itself until the job has finished and then shows the counts and the first row errors.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .choices import UnitImportMode
from .models import RegisteredUnit, UnitImport
from .selectors import unit_imports_visible_to
from .services.imports import COLUMNS, REQUIRED_COLUMNS, unit_import_submit
from .validators import max_import_bytes

IMPORT_PERMISSION = "warranty.add_registeredunit"
VIEW_PERMISSION = "warranty.view_unitimport"
ERRORS_SHOWN = 100
REFRESH_SECONDS = 2


class UnitImportForm(forms.Form):
    file = forms.FileField(label=_("file"), help_text=_("CSV (UTF-8 or GB18030) or XLSX, header in the first row."))
    mode = forms.ChoiceField(
        label=_("if a row is invalid"),
        choices=UnitImportMode.choices,
        initial=UnitImportMode.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
    )


def _status_url(pk: int) -> str:
    return reverse("admin:warranty_unit_import_status", args=[pk])


def unit_import_upload_view(request, *, admin_site):
    if not request.user.has_perm(IMPORT_PERMISSION):
        raise PermissionDenied
    form = UnitImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            unit_import = unit_import_submit(
                upload=form.cleaned_data["file"], mode=form.cleaned_data["mode"], actor=request.user
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            return redirect(_status_url(unit_import.pk))
    context = {
        **admin_site.each_context(request),
        "title": _("Import sold units"),
        "opts": RegisteredUnit._meta,
        "form": form,
        "columns": [
            {"name": column, "aliases": aliases[1:], "required": column in REQUIRED_COLUMNS}
            for column, aliases in COLUMNS.items()
        ],
        "max_megabytes": max_import_bytes() // (1024 * 1024),
        "recent": UnitImport.objects.filter(created_by=request.user).order_by("-created_at", "-id")[:5],
    }
    return TemplateResponse(request, "admin/warranty/unit_import.html", context)


def unit_import_status_view(request, pk: int, *, admin_site):
    if not (request.user.has_perm(IMPORT_PERMISSION) or request.user.has_perm(VIEW_PERMISSION)):
        raise PermissionDenied
    unit_import = get_object_or_404(unit_imports_visible_to(request.user), pk=pk)
    context = {
        **admin_site.each_context(request),
        "title": _("Import of %(name)s") % {"name": unit_import.original_name},
        "opts": RegisteredUnit._meta,
        "job": unit_import,
        "errors_shown": unit_import.errors[:ERRORS_SHOWN],
        "errors_hidden": unit_import.error_count - min(len(unit_import.errors), ERRORS_SHOWN),
        "refresh_seconds": None if unit_import.is_finished else REFRESH_SECONDS,
        "can_import": request.user.has_perm(IMPORT_PERMISSION),
    }
    return TemplateResponse(request, "admin/warranty/unit_import_status.html", context)


def import_urls(admin_site) -> list:
    def upload(request):
        return unit_import_upload_view(request, admin_site=admin_site)

    def status(request, pk: int):
        return unit_import_status_view(request, pk, admin_site=admin_site)

    return [
        path("import/", admin_site.admin_view(upload), name="warranty_unit_import"),
        path("import/<int:pk>/", admin_site.admin_view(status), name="warranty_unit_import_status"),
    ]


@admin.register(UnitImport)
class UnitImportAdmin(admin.ModelAdmin):
    """Past imports, read-only: they are made on the upload page, by the service."""

    change_list_template = "admin/warranty/unit_import_change_list.html"
    list_display = [
        "id",
        "original_name",
        "status",
        "total_rows",
        "imported_rows",
        "error_count",
        "created_by",
        "created_at",
        "report",
    ]
    list_display_links = ["id", "original_name"]
    list_filter = ["status", "mode"]
    list_select_related = ["created_by"]
    search_fields = ["original_name"]
    date_hierarchy = "created_at"
    fields = [
        "original_name",
        "mode",
        "status",
        "total_rows",
        "processed_rows",
        "imported_rows",
        "error_count",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "report",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return unit_imports_visible_to(request.user)

    @admin.display(description=_("report"))
    def report(self, obj):
        try:
            return format_html('<a href="{}">{}</a>', _status_url(obj.pk), _("progress and errors"))
        except NoReverseMatch:  # the pages are not mounted (RegisteredUnitAdmin.get_urls)
            return "-"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
