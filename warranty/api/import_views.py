"""Bulk import of sold units over the API: upload a CSV or XLSX file, then poll the job.

``POST units/import/`` answers 201 with the finished job when the file was small enough to import
in the request, else 202 with the queued job (and its address in ``Location``) to poll with
``GET imports/<id>/``.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.generics import RetrieveAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..choices import UnitImportMode
from ..models import UnitImport
from ..selectors import unit_imports_visible_to
from ..services.imports import unit_import_submit

DETAIL_ROUTE = "warranty-unit-import-detail"


class CanImportUnits(BasePermission):
    """Importing registers units, so it needs the same permission as registering one."""

    def has_permission(self, request, view):
        return request.user.has_perm("warranty.add_registeredunit")


class CanViewImports(BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("warranty.view_unitimport")


class UnitImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (UTF-8 or GB18030) or XLSX, header in the first row.")
    mode = serializers.ChoiceField(choices=UnitImportMode.choices, default=UnitImportMode.ALL_OR_NOTHING)


class UnitImportSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    percent = serializers.IntegerField(
        read_only=True,
        help_text="Checking the rows counts as the first half, writing them the second; 100 once finished.",
    )
    errors_truncated = serializers.BooleanField(
        read_only=True, help_text="True when error_count is larger than the errors listed."
    )
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = UnitImport
        fields = [
            "id",
            "url",
            "original_name",
            "mode",
            "status",
            "total_rows",
            "processed_rows",
            "percent",
            "imported_rows",
            "error_count",
            "errors",
            "errors_truncated",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_url(self, unit_import) -> str:
        request = self.context.get("request")
        # Works whichever namespace (if any) the including urls module gives these routes.
        namespace = request.resolver_match.namespace if request and request.resolver_match else ""
        path = reverse(f"{namespace}:{DETAIL_ROUTE}" if namespace else DETAIL_ROUTE, kwargs={"pk": unit_import.pk})
        return request.build_absolute_uri(path) if request else path


def _validation_error(error: DjangoValidationError) -> ValidationError:
    """The service's ValidationError with its codes (file_type, file_size, ...) kept for clients."""
    if not hasattr(error, "error_dict"):
        return ValidationError([ErrorDetail(message, code=error.code or "invalid") for message in error.messages])
    return ValidationError(
        {
            field: [ErrorDetail(message, code=item.code or "invalid") for item in items for message in item]
            for field, items in error.error_dict.items()
        }
    )


class UnitImportCreateView(APIView):
    permission_classes = [IsAuthenticated, CanImportUnits]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": UnitImportUploadSerializer},
        responses={201: UnitImportSerializer, 202: UnitImportSerializer},
        summary="Import sold units from a CSV or XLSX file",
    )
    def post(self, request):
        upload = UnitImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            unit_import = unit_import_submit(
                upload=upload.validated_data["file"], mode=upload.validated_data["mode"], actor=request.user
            )
        except DjangoValidationError as error:
            raise _validation_error(error) from error
        body = UnitImportSerializer(unit_import, context={"request": request}).data
        answer = status.HTTP_201_CREATED if unit_import.is_finished else status.HTTP_202_ACCEPTED
        return Response(body, status=answer, headers={"Location": body["url"]})


class UnitImportDetailView(RetrieveAPIView):
    permission_classes = [IsAuthenticated, CanViewImports]
    serializer_class = UnitImportSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema needs the model, not a database
            return UnitImport.objects.none()
        return unit_imports_visible_to(self.request.user)  # someone else's import: 404
