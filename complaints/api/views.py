"""Staff endpoints of the complaints app under ``/api/v1/complaints/`` (CONTRACT.md §4).

Thin on purpose: serializers check the input, ``services`` write and refuse (403/409 through
``service_errors``), ``selectors`` read. Someone without ``view_complaint`` gets 403 on the list
and 404 for any one complaint, as if it did not exist.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from aftersales.core.api.parsers import SafeJSONParser
from aftersales.core.api.permissions import ActionPermissions
from aftersales.core.api.renderers import DOWNLOAD_RENDERERS
from aftersales.core.api.services import reject_nul, service_errors, validation_codes_kept
from aftersales.core.attachments import attachment_response
from aftersales.core.cases import ActionNotAllowed

from .. import selectors, services
from ..cases import COMPLAINTS
from ..models import BreachReport, Complaint, CorrectiveAction
from .serializers import (
    BreachExplainSerializer,
    BreachReportSerializer,
    ComplaintAttachmentSerializer,
    ComplaintAttachmentUploadSerializer,
    ComplaintCreatedSerializer,
    ComplaintCreateSerializer,
    ComplaintDetailSerializer,
    ComplaintEventSerializer,
    ComplaintFilterSerializer,
    ComplaintNoteCreateSerializer,
    ComplaintSerializer,
    CorrectiveActionCompleteSerializer,
    CorrectiveActionCreateSerializer,
    CorrectiveActionSerializer,
    CorrectiveActionVerifySerializer,
    TransitionSerializer,
)

VIEW = "complaints.view_complaint"
CONFLICTS = (ActionNotAllowed, *COMPLAINTS.conflicts)


_FILTER_PARAMETERS = [
    OpenApiParameter("status", str, description="a status, several separated by commas, or `open`"),
    OpenApiParameter("category", str, description="a category (`service.attitude`) or a group (`service`)"),
    OpenApiParameter("severity", str),
    OpenApiParameter("channel", str),
    OpenApiParameter("owner", str, description="the owner's username"),
    OpenApiParameter("breached", bool, description="`true`: a clock of the complaint recorded a breach"),
    OpenApiParameter("due_before", OpenApiTypes.DATETIME, description="a running clock is due before this time"),
    OpenApiParameter("search", str, description="complaint number, unit serial, or customer phone (contact roles)"),
    OpenApiParameter("queue", str, enum=["mine", "unassigned"]),
]
_ID = r"[0-9]{1,18}"  # at most 18 digits: always inside PostgreSQL's bigint


class ComplaintViewSet(viewsets.GenericViewSet):
    parser_classes = [SafeJSONParser]
    serializer_class = ComplaintSerializer
    permission_classes = [ActionPermissions]
    view_permission = VIEW
    lookup_field = "number"
    lookup_value_regex = r"[A-Za-z0-9-]{1,20}"
    action_permissions = {
        "create": (VIEW, "complaints.add_complaint"),
        "events": (VIEW, "complaints.view_complaintevent"),
        "corrective_actions": (VIEW, "complaints.add_correctiveaction"),
        "attachments": (VIEW, "complaints.view_complaintattachment"),
        "attachment": (VIEW, "complaints.view_complaintattachment"),
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema needs the model, not a database
            return Complaint.objects.none()
        return selectors.complaint_list_for_staff(user=self.request.user)

    def get_object(self) -> Complaint:
        complaint = selectors.complaint_for_staff(user=self.request.user, number=self.kwargs["number"])
        if complaint is None:
            raise NotFound()
        return complaint

    def _detail(self, complaint: Complaint, *, created_status: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.complaint_for_staff(user=self.request.user, number=complaint.number) or complaint
        body = ComplaintDetailSerializer(fresh, context=self.get_serializer_context()).data
        return Response(body, status=created_status)

    # --- list, retrieve, create ----------------------------------------------------------------

    @extend_schema(parameters=_FILTER_PARAMETERS, summary="List complaints")
    def list(self, request):
        filters = ComplaintFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        complaints = selectors.complaint_list_for_staff(user=request.user, **filters.selector_kwargs())
        page = self.paginate_queryset(complaints)
        selectors.clocks_attach(page)
        return self.get_paginated_response(
            ComplaintSerializer(page, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(responses={200: ComplaintDetailSerializer}, summary="One complaint")
    def retrieve(self, request, number: str):
        return self._detail(self.get_object())

    @extend_schema(
        request=ComplaintCreateSerializer,
        responses={201: ComplaintCreatedSerializer, 400: OpenApiResponse(description="invalid input")},
        summary="Register a complaint (phone, letter, visit, third-party platform …)",
    )
    def create(self, request):
        serializer = ComplaintCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = reject_nul(serializer.validated_data)
        owner = None
        if data["owner"]:
            owner = get_user_model().objects.filter(username=data["owner"], is_active=True).first()
            if owner is None:
                raise ValidationError({"owner": [_("No active staff member with this username.")]})
        with service_errors(CONFLICTS):
            # The customer lookup (or registration) and the complaint: one transaction, in the service.
            created = services.complaint_register(
                customer=data["customer"],
                category=data["category"],
                severity=data["severity"],
                channel=data["channel"],
                description=data["description"],
                serial=data["serial"],
                ticket_numbers=data["tickets"],
                owner=owner,
                actor=request.user,
                allow_duplicate=data["allow_duplicate"],
                duplicate_reason=data["duplicate_reason"],
            )
        complaint = selectors.complaint_for_staff(user=request.user, number=created.complaint.number)
        complaint.tracking_url = created.tracking_url
        body = ComplaintCreatedSerializer(complaint, context=self.get_serializer_context()).data
        return Response(
            body, status=status.HTTP_201_CREATED, headers={"Location": f"{request.path}{complaint.number}/"}
        )

    # --- actions on one complaint ------------------------------------------------------------------

    @extend_schema(
        request=inline_serializer(
            "ComplaintTransitionRequest",
            {"action": serializers.CharField(), "note": serializers.CharField(required=False)},
        ),
        responses={
            200: ComplaintDetailSerializer,
            400: OpenApiResponse(description="unknown action or invalid fields"),
            403: OpenApiResponse(description="this user may not perform the action"),
            409: OpenApiResponse(description="not allowed in the current state, or the complaint changed meanwhile"),
        },
        summary="Perform an action (acknowledge, investigate, propose_resolution, close …) with its fields",
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, number: str):
        complaint = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = reject_nul(dict(request.data))
        with service_errors(CONFLICTS):
            complaint = services.complaint_transition(
                complaint=complaint, action=body.validated_data["action"], actor=request.user, data=data
            )
        return self._detail(complaint)

    @extend_schema(
        parameters=[OpenApiParameter("page", int)],
        responses={200: ComplaintEventSerializer(many=True)},
        summary="The complaint's timeline, internal events included",
    )
    @action(detail=True, methods=["get"])
    def events(self, request, number: str):
        complaint = self.get_object()
        page = self.paginate_queryset(selectors.complaint_events(complaint=complaint))
        return self.get_paginated_response(ComplaintEventSerializer(page, many=True).data)

    @extend_schema(
        request=ComplaintNoteCreateSerializer,
        responses={201: ComplaintEventSerializer},
        summary="Add a note: internal, or public (shown on the customer's tracking page)",
    )
    @action(detail=True, methods=["post"])
    def notes(self, request, number: str):
        complaint = self.get_object()
        if not services.may_note(complaint, request.user):
            raise PermissionDenied(_("You may not add notes to complaints."))
        serializer = ComplaintNoteCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors(CONFLICTS):
            event = services.complaint_staff_note(
                complaint=complaint,
                body=serializer.validated_data["body"],
                actor=request.user,
                public=serializer.validated_data["public"],
            )
        return Response(ComplaintEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CorrectiveActionCreateSerializer,
        responses={201: CorrectiveActionSerializer, 409: OpenApiResponse(description="not investigated yet")},
        summary="Plan a corrective action (owner, due time); its due time is swept like any promise",
    )
    @action(detail=True, methods=["post"], url_path="corrective-actions")
    def corrective_actions(self, request, number: str):
        complaint = self.get_object()
        serializer = CorrectiveActionCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = reject_nul(serializer.validated_data)
        owner = get_user_model().objects.filter(username=data["owner"], is_active=True).first()
        if owner is None:
            raise ValidationError({"owner": [_("No active staff member with this username.")]})
        with service_errors(CONFLICTS):
            corrective = services.corrective_action_add(
                complaint=complaint,
                description=data["description"],
                owner=owner,
                due_at=data["due_at"],
                actor=request.user,
            )
        return Response(CorrectiveActionSerializer(corrective).data, status=status.HTTP_201_CREATED)

    # --- attachments ---------------------------------------------------------------------------------

    @extend_schema(methods=["GET"], responses={200: ComplaintAttachmentSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": ComplaintAttachmentUploadSerializer},
        responses={
            201: ComplaintAttachmentSerializer,
            400: OpenApiResponse(description="not a PDF/JPEG/PNG/WebP by content, over 10 MB, or 10 files already"),
            403: OpenApiResponse(description="this user may not add files (or show them to the customer)"),
            415: OpenApiResponse(description="not sent as multipart/form-data"),
        },
        summary="The complaint's files; POST attaches one (multipart, field `file`)",
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser])
    def attachments(self, request, number: str):
        complaint = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            rows = complaint.attachments.select_related("uploaded_by", "complaint").order_by("created_at", "id")
            return Response(ComplaintAttachmentSerializer(rows, many=True, context=context).data)
        upload = ComplaintAttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        with service_errors(CONFLICTS), validation_codes_kept():
            attachment = services.complaint_attach(
                complaint, upload.validated_data["file"], by=request.user, public=upload.validated_data["public"]
            )
        return Response(ComplaintAttachmentSerializer(attachment, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="the file, as a download"
            ),
            404: OpenApiResponse(description="no such file on this complaint"),
        },
        summary="Download one attachment",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=rf"attachments/(?P<attachment_id>{_ID})",
        url_name="attachment",
        renderer_classes=DOWNLOAD_RENDERERS,
    )
    def attachment(self, request, number: str, attachment_id: str):
        attachment = self.get_object().attachments.filter(pk=int(attachment_id)).first()
        if attachment is None:
            raise NotFound()
        return attachment_response(attachment)

    # --- corrective actions and late-promise reports of one complaint ------------------------------

    def _corrective(self, complaint: Complaint, action_id: str) -> CorrectiveAction:
        corrective = complaint.corrective_actions.filter(pk=int(action_id)).first()
        if corrective is None:
            raise NotFound()
        return corrective

    @extend_schema(
        request=CorrectiveActionCompleteSerializer,
        responses={200: CorrectiveActionSerializer, 409: OpenApiResponse(description="not open")},
        summary="Report a corrective action done (its owner, or a supervisor)",
    )
    @action(detail=True, methods=["post"], url_path=rf"corrective-actions/(?P<action_id>{_ID})/complete")
    def corrective_complete(self, request, number: str, action_id: str):
        corrective = self._corrective(self.get_object(), action_id)
        serializer = CorrectiveActionCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with service_errors(CONFLICTS):
            corrective = services.corrective_action_complete(
                action=corrective, actor=request.user, note=reject_nul(serializer.validated_data["note"], "note")
            )
        return Response(CorrectiveActionSerializer(corrective).data)

    @extend_schema(
        request=CorrectiveActionVerifySerializer,
        responses={200: CorrectiveActionSerializer, 409: OpenApiResponse(description="not done yet")},
        summary="Verify a corrective action: effective, or back to its owner with a new due time",
    )
    @action(detail=True, methods=["post"], url_path=rf"corrective-actions/(?P<action_id>{_ID})/verify")
    def corrective_verify(self, request, number: str, action_id: str):
        corrective = self._corrective(self.get_object(), action_id)
        serializer = CorrectiveActionVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = reject_nul(serializer.validated_data)
        with service_errors(CONFLICTS):
            corrective = services.corrective_action_verify(
                action=corrective,
                actor=request.user,
                effective=data["effective"],
                note=data["note"],
                new_due_at=data.get("new_due_at"),
            )
        return Response(CorrectiveActionSerializer(corrective).data)

    @extend_schema(
        request=BreachExplainSerializer,
        responses={200: BreachReportSerializer, 409: OpenApiResponse(description="already explained")},
        summary="Explain a late promise and the remedy",
    )
    @action(detail=True, methods=["post"], url_path=rf"breach-reports/(?P<report_id>{_ID})/explain")
    def breach_explain(self, request, number: str, report_id: str):
        complaint = self.get_object()
        report = BreachReport.objects.filter(complaint=complaint, pk=int(report_id)).first()
        if report is None:
            raise NotFound()
        serializer = BreachExplainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = reject_nul(serializer.validated_data)
        with service_errors(CONFLICTS):
            report = services.breach_report_explain(
                report=report, actor=request.user, explanation=data["explanation"], remedy=data["remedy"]
            )
        return Response(BreachReportSerializer(report).data)
