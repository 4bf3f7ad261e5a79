"""Staff endpoints of the tickets app under ``/api/v1/tickets/`` (CONTRACT.md §4).

Thin on purpose, and shaped like every kind of case (``aftersales.core.api.cases.CaseViewSet``: list,
retrieve, transition, events, notes, files): serializers check the input, ``services`` write (and
refuse: 403/409), ``selectors`` read. Who sees which ticket is ``selectors.tickets_visible_to``: a
technician asking for someone else's ticket gets 404, as if it did not exist. Below: what only tickets
have (registering, parts, dispatch suggestions, labour and travel).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from aftersales.core.api.cases import CaseViewSet, case_filter_parameters, case_schema
from aftersales.core.api.services import validation_codes_kept
from parts.api.errors import stock_service_errors
from parts.selectors import reservations_visible_to

from .. import selectors, services
from ..cases import TICKETS
from .serializers import (
    DispatchSuggestionSerializer,
    PartCreateSerializer,
    PartIssueSerializer,
    PartUsageSerializer,
    TicketAttachmentSerializer,
    TicketCreatedSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketEventSerializer,
    TicketFilterSerializer,
    TicketSerializer,
    WorkRecordSerializer,
)

VIEW = "tickets.view_ticket"


@case_schema(
    noun="ticket",
    actions="acknowledge, diagnose, dispatch …",
    list_serializer=TicketSerializer,
    detail_serializer=TicketDetailSerializer,
    event_serializer=TicketEventSerializer,
    attachment_serializer=TicketAttachmentSerializer,
    filters=case_filter_parameters(
        "ticket",
        [
            OpenApiParameter("type", str, description="request type"),
            OpenApiParameter("priority", str),
            OpenApiParameter("assignee", str, description="the assigned technician's username"),
        ],
    ),
)
class TicketViewSet(CaseViewSet):
    case_spec = TICKETS
    serializer_class = TicketSerializer
    detail_serializer_class = TicketDetailSerializer
    event_serializer_class = TicketEventSerializer
    attachment_serializer_class = TicketAttachmentSerializer
    filter_serializer_class = TicketFilterSerializer
    view_permission = VIEW
    action_permissions = {
        "create": (VIEW, "tickets.add_ticket"),
        "events": (VIEW, "tickets.view_ticketevent"),
        "parts": (VIEW, "tickets.add_partusage"),
        "parts_issue": (VIEW, "tickets.add_partusage", "parts.view_reservation", "parts.add_stockmovement"),
        "dispatch_candidates": (VIEW, "tickets.dispatch_ticket", "tickets.view_technician"),
        "attachments": (VIEW, "tickets.view_ticketattachment"),
        "attachment": (VIEW, "tickets.view_ticketattachment"),
        "work": (VIEW, "tickets.work_ticket"),
    }

    def case_list(self, user, **filters):
        return selectors.ticket_list_for_staff(user=user, **filters)

    def case_for_staff(self, user, number: str):
        return selectors.ticket_for_staff(user=user, number=number)

    # --- list, retrieve, create ------------------------------------------------------------

    @extend_schema(
        request=TicketCreateSerializer,
        responses={201: TicketCreatedSerializer, 400: OpenApiResponse(description="invalid input")},
        summary="Register a request for a customer (phone, letter, walk-in …)",
    )
    def create(self, request):
        serializer = TicketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with self.service_errors():
            # The customer lookup (or registration) and the ticket: one transaction, in the service.
            created = services.ticket_register(
                customer=data["customer"],
                ticket_type=data["type"],
                description=data["description"],
                channel=data["channel"],
                priority=data["priority"],
                serial=data.get("serial", ""),
                actor=request.user,
            )
        return self.created_response(created, created.ticket, TicketCreatedSerializer)

    # --- what only tickets have -----------------------------------------------------------------

    @extend_schema(
        request=PartCreateSerializer,
        responses={201: PartUsageSerializer, 409: OpenApiResponse(description="the ticket is not being worked on")},
        summary="Record a part used (who pays follows the stored entitlement)",
    )
    @action(detail=True, methods=["post"])
    def parts(self, request, number: str):
        ticket = self.get_object()
        serializer = PartCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with self.service_errors():
            usage = services.part_record(ticket=ticket, actor=request.user, **serializer.validated_data)
        return Response(PartUsageSerializer(usage).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=PartIssueSerializer,
        responses={
            201: PartUsageSerializer,
            403: OpenApiResponse(description="may not record parts here or move stock in that warehouse"),
            409: OpenApiResponse(description="the ticket is not being worked on, or the reservation is closed"),
        },
        summary="Issue reserved parts from stock and record them as used (parts/ reservations)",
    )
    @action(detail=True, methods=["post"], url_path="parts/issue")
    def parts_issue(self, request, number: str):
        ticket = self.get_object()
        serializer = PartIssueSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        reservation = reservations_visible_to(request.user).filter(pk=data["reservation"]).first()
        if reservation is None:
            raise ValidationError({"reservation": [_("No such reservation.")]}, code="does_not_exist")
        with self.service_errors(), stock_service_errors():
            usage = services.part_issue_reserved(
                ticket=ticket,
                actor=request.user,
                reservation=reservation,
                quantity=data.get("quantity"),
                replacement_serial=data["replacement_serial"],
            )
        return Response(PartUsageSerializer(usage).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: DispatchSuggestionSerializer},
        summary="Technicians who could take the ticket, best first, with the reasons",
    )
    @action(detail=True, methods=["get"], url_path="dispatch-candidates")
    def dispatch_candidates(self, request, number: str):
        ticket = self.get_object()
        suggestion = selectors.dispatch_candidates(ticket)
        return Response(
            DispatchSuggestionSerializer(
                {
                    "dispatchable": can_proceed(ticket.dispatch),
                    "candidates": suggestion.candidates,
                    "excluded": suggestion.excluded,
                }
            ).data
        )

    # --- labour and travel ------------------------------------------------------------------------

    @extend_schema(
        request=WorkRecordSerializer,
        responses={
            200: TicketDetailSerializer,
            400: OpenApiResponse(description="not a number, out of bounds, or neither hours nor kilometres"),
            403: OpenApiResponse(description="only the assigned technician or a dispatcher records work"),
            409: OpenApiResponse(description="the ticket is not in work (in progress, awaiting parts, resolved)"),
        },
        summary="Record one visit's labour hours and travel kilometres (added to the ticket's totals)",
    )
    @action(detail=True, methods=["post"])
    def work(self, request, number: str):
        ticket = self.get_object()
        body = WorkRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with self.service_errors(), validation_codes_kept():
            ticket = services.ticket_record_work(ticket=ticket, by=request.user, **body.validated_data)
        return self.case_response(ticket)
