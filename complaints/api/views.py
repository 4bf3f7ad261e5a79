"""Staff endpoints of the complaints app under ``/api/v1/complaints/`` (CONTRACT.md §4).

Thin on purpose, and shaped like every kind of case (``aftersales.core.api.cases.CaseViewSet``: list,
retrieve, transition, events, notes, files): serializers check the input, ``services`` write and
refuse (403/409), ``selectors`` read. Below: what only complaints have (registering, corrective
actions, late-promise reports). Someone without ``view_complaint`` gets 403 on the list
and 404 for any one complaint, as if it did not exist.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from aftersales.core.api.cases import ID_PATTERN, CaseViewSet, case_filter_parameters, case_schema
from aftersales.core.api.services import reject_nul

from .. import selectors, services
from ..cases import COMPLAINTS
from ..models import BreachReport, Complaint, CorrectiveAction
from .serializers import (
    BreachExplainSerializer,
    BreachReportSerializer,
    ComplaintAttachmentSerializer,
    ComplaintCreatedSerializer,
    ComplaintCreateSerializer,
    ComplaintDetailSerializer,
    ComplaintEventSerializer,
    ComplaintFilterSerializer,
    ComplaintSerializer,
    CorrectiveActionCompleteSerializer,
    CorrectiveActionCreateSerializer,
    CorrectiveActionSerializer,
    CorrectiveActionVerifySerializer,
)

VIEW = "complaints.view_complaint"


@case_schema(
    noun="complaint",
    actions="acknowledge, investigate, propose_resolution, close …",
    list_serializer=ComplaintSerializer,
    detail_serializer=ComplaintDetailSerializer,
    event_serializer=ComplaintEventSerializer,
    attachment_serializer=ComplaintAttachmentSerializer,
    filters=case_filter_parameters(
        "complaint",
        [
            OpenApiParameter("category", str, description="a category (`service.attitude`) or a group (`service`)"),
            OpenApiParameter("severity", str),
            OpenApiParameter("channel", str),
            OpenApiParameter("owner", str, description="the owner's username"),
        ],
    ),
)
class ComplaintViewSet(CaseViewSet):
    case_spec = COMPLAINTS
    serializer_class = ComplaintSerializer
    detail_serializer_class = ComplaintDetailSerializer
    event_serializer_class = ComplaintEventSerializer
    attachment_serializer_class = ComplaintAttachmentSerializer
    filter_serializer_class = ComplaintFilterSerializer
    view_permission = VIEW
    action_permissions = {
        "create": (VIEW, "complaints.add_complaint"),
        "events": (VIEW, "complaints.view_complaintevent"),
        "corrective_actions": (VIEW, "complaints.add_correctiveaction"),
        "attachments": (VIEW, "complaints.view_complaintattachment"),
        "attachment": (VIEW, "complaints.view_complaintattachment"),
    }

    def case_list(self, user, **filters):
        return selectors.complaint_list_for_staff(user=user, **filters)

    def case_for_staff(self, user, number: str):
        return selectors.complaint_for_staff(user=user, number=number)

    # --- list, retrieve, create ----------------------------------------------------------------

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
        with self.service_errors():
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
        return self.created_response(created, created.complaint, ComplaintCreatedSerializer)

    # --- what only complaints have -----------------------------------------------------------------

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
        with self.service_errors():
            corrective = services.corrective_action_add(
                complaint=complaint,
                description=data["description"],
                owner=owner,
                due_at=data["due_at"],
                actor=request.user,
            )
        return Response(CorrectiveActionSerializer(corrective).data, status=status.HTTP_201_CREATED)

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
    @action(detail=True, methods=["post"], url_path=rf"corrective-actions/(?P<action_id>{ID_PATTERN})/complete")
    def corrective_complete(self, request, number: str, action_id: str):
        corrective = self._corrective(self.get_object(), action_id)
        serializer = CorrectiveActionCompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with self.service_errors():
            corrective = services.corrective_action_complete(
                action=corrective, actor=request.user, note=reject_nul(serializer.validated_data["note"], "note")
            )
        return Response(CorrectiveActionSerializer(corrective).data)

    @extend_schema(
        request=CorrectiveActionVerifySerializer,
        responses={200: CorrectiveActionSerializer, 409: OpenApiResponse(description="not done yet")},
        summary="Verify a corrective action: effective, or back to its owner with a new due time",
    )
    @action(detail=True, methods=["post"], url_path=rf"corrective-actions/(?P<action_id>{ID_PATTERN})/verify")
    def corrective_verify(self, request, number: str, action_id: str):
        corrective = self._corrective(self.get_object(), action_id)
        serializer = CorrectiveActionVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = reject_nul(serializer.validated_data)
        with self.service_errors():
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
    @action(detail=True, methods=["post"], url_path=rf"breach-reports/(?P<report_id>{ID_PATTERN})/explain")
    def breach_explain(self, request, number: str, report_id: str):
        complaint = self.get_object()
        report = BreachReport.objects.filter(complaint=complaint, pk=int(report_id)).first()
        if report is None:
            raise NotFound()
        serializer = BreachExplainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = reject_nul(serializer.validated_data)
        with self.service_errors():
            report = services.breach_report_explain(
                report=report, actor=request.user, explanation=data["explanation"], remedy=data["remedy"]
            )
        return Response(BreachReportSerializer(report).data)
