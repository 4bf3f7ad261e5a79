"""Staff endpoints of emergency response under ``/api/v1/incidents/`` (CONTRACT.md §4 "Incidents").

Shaped like every kind of case (``aftersales.core.api.cases.CaseViewSet``: list, retrieve,
transition, events, notes, files); below, what only incidents have: reporting one and ticking off a
checklist item. Someone without ``view_incident`` gets 403 on the list and for any one incident alike.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from aftersales.core.api.cases import ID_PATTERN, CaseViewSet, case_filter_parameters, case_schema
from aftersales.core.api.services import reject_nul

from .. import selectors, services
from ..cases import INCIDENTS
from .serializers import (
    ChecklistDoneSerializer,
    ChecklistItemSerializer,
    IncidentAttachmentSerializer,
    IncidentCreateSerializer,
    IncidentDetailSerializer,
    IncidentEventSerializer,
    IncidentFilterSerializer,
    IncidentSerializer,
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
