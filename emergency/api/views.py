"""Staff endpoints of emergency response under ``/api/v1/incidents/`` (CONTRACT.md §4 "Incidents").

Shaped like every kind of case (``aftersales.core.api.cases.CaseViewSet``: list, retrieve,
transition, events, notes, files); below, what only incidents have: reporting one and ticking off a
checklist item. Someone without ``view_incident`` gets 403 on the list and for any one incident alike.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from aftersales.core.api.cases import ID_PATTERN, CaseViewSet, case_filter_parameters, case_schema
from aftersales.core.api.services import reject_nul

from .. import selectors, services
from ..cases import INCIDENTS
from .serializers import (
    AcknowledgedSerializer,
    AcknowledgeSerializer,
    ChecklistDoneSerializer,
    ChecklistItemSerializer,
    IncidentAttachmentSerializer,
    IncidentCreateSerializer,
    IncidentDetailSerializer,
    IncidentEventSerializer,
    IncidentFilterSerializer,
    IncidentSerializer,
    NotifiedSerializer,
    NotifyCustomersSerializer,
)

VIEW = "emergency.view_incident"


@case_schema(
    noun="incident",
    actions="assess, activate, mitigate, recover, review, close, escalate_level, downgrade, stand_down",
    list_serializer=IncidentSerializer,
    detail_serializer=IncidentDetailSerializer,
    event_serializer=IncidentEventSerializer,
    attachment_serializer=IncidentAttachmentSerializer,
    filters=case_filter_parameters(
        "incident",
        [
            OpenApiParameter("incident_type", str),
            OpenApiParameter("level", int, enum=[1, 2, 3, 4]),
            OpenApiParameter("drill", bool),
        ],
    ),
)
class IncidentViewSet(CaseViewSet):
    case_spec = INCIDENTS
    serializer_class = IncidentSerializer
    detail_serializer_class = IncidentDetailSerializer
    event_serializer_class = IncidentEventSerializer
    attachment_serializer_class = IncidentAttachmentSerializer
    filter_serializer_class = IncidentFilterSerializer
    view_permission = VIEW
    action_permissions = {
        "create": (VIEW, "emergency.add_incident"),
        "events": (VIEW, "emergency.view_incidentevent"),
        "attachments": (VIEW, "emergency.view_incidentattachment"),
        "attachment": (VIEW, "emergency.view_incidentattachment"),
        # A paged technician acknowledges without seeing the incidents; the service decides who may.
        "acknowledge": (),
    }

    def case_list(self, user, **filters):
        return selectors.incident_list_for_staff(user=user, **filters)

    def case_for_staff(self, user, number: str):
        return selectors.incident_for_staff(user=user, number=number)

    @extend_schema(
        request=IncidentCreateSerializer,
        responses={
            201: IncidentDetailSerializer,
            400: OpenApiResponse(description="invalid input"),
            403: OpenApiResponse(description="this user may not report incidents"),
        },
        summary="Report an incident (number E + date + sequence)",
    )
    def create(self, request):
        serializer = IncidentCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with self.service_errors():
            incident = services.incident_create(actor=request.user, data=reject_nul(serializer.validated_data))
        response = self.case_response(incident, status_code=status.HTTP_201_CREATED)
        response["Location"] = f"{request.path}{incident.number}/"
        return response

    @extend_schema(
        request=ChecklistDoneSerializer,
        responses={
            200: ChecklistItemSerializer,
            403: OpenApiResponse(description="neither a coordinator nor in the item's owner role"),
            404: OpenApiResponse(description="no such item on an incident this user may see"),
            409: OpenApiResponse(description="the item is done already, or the incident is not running"),
        },
        summary="Tick off a checklist item (its deadline clock stops)",
    )
    @action(detail=True, methods=["post"], url_path=rf"checklist/(?P<item_id>{ID_PATTERN})/done")
    def checklist_done(self, request, number: str, item_id: str):
        serializer = ChecklistDoneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = selectors.checklist_item_for_staff(user=request.user, number=number, item_id=int(item_id))
        if item is None:
            raise NotFound()
        with self.service_errors():
            item = services.checklist_item_done(
                item=item, actor=request.user, note=reject_nul(serializer.validated_data)["note"]
            )
        return Response(ChecklistItemSerializer(item).data)

    @extend_schema(
        request=NotifyCustomersSerializer,
        responses={
            202: NotifiedSerializer,
            400: OpenApiResponse(description="no message"),
            403: OpenApiResponse(description="neither a coordinator nor the incident's commander"),
            404: OpenApiResponse(description="no such incident this user may see"),
            409: OpenApiResponse(description="not assessed yet, or closed"),
        },
        summary="Message every customer owning an affected unit, once each (a drill messages nobody)",
    )
    @action(detail=True, methods=["post"], url_path="notify-customers")
    def notify_customers(self, request, number: str):
        incident = self.get_object()
        serializer = NotifyCustomersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        message = reject_nul(serializer.validated_data, "message")["message"]
        with self.service_errors():
            notice = services.incident_notify_customers(incident=incident, actor=request.user, message=message)
        body = {
            "customers": notice.customers,
            "messages": notice.new_messages,  # type: ignore[attr-defined]  # set by the service
            "drill": notice.drill,
            "notice": notice.pk,
            "detail": _("Drill: no message was sent to any customer.") if notice.drill else "",
        }
        return Response(NotifiedSerializer(body).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=AcknowledgeSerializer,
        responses={
            200: AcknowledgedSerializer,
            403: OpenApiResponse(description="never paged for this incident and no coordinator"),
            404: OpenApiResponse(description="no such incident"),
            409: OpenApiResponse(description="nobody was paged, or the paging has ended"),
        },
        summary="Acknowledge the page: the paging chain stops (the same person again changes nothing)",
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, number: str):
        serializer = AcknowledgeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = selectors.incident_by_number(number)
        if incident is None:
            if request.user.has_perm(VIEW):
                raise NotFound()
            raise PermissionDenied()
        with self.service_errors():
            run = services.incident_acknowledge(
                incident=incident, actor=request.user, note=reject_nul(serializer.validated_data, "note")["note"]
            )
        # The same small answer for everyone: a paged technician may not see the incident itself.
        return Response(AcknowledgedSerializer({"number": incident.number, "run": run}).data)
