"""Staff endpoints of the tickets app under ``/api/v1/tickets/`` (CONTRACT.md §4).

Thin on purpose: serializers check the input, ``services`` write (and refuse: 403/409 through
``common.service_errors``), ``selectors`` read. Who sees which ticket is ``selectors.tickets_visible_to``:
a technician asking for someone else's ticket gets 404, as if it did not exist.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from aftersales.core.api.parsers import SafeJSONParser
from aftersales.core.api.permissions import ActionPermissions
from aftersales.core.api.renderers import DOWNLOAD_RENDERERS
from aftersales.core.api.services import reject_nul, validation_codes_kept
from aftersales.core.attachments import attachment_response

from .. import selectors, services
from ..models import Ticket
from .common import service_errors
from .serializers import (
    AttachmentUploadSerializer,
    DispatchSuggestionSerializer,
    NoteCreateSerializer,
    PartCreateSerializer,
    PartUsageSerializer,
    TicketAttachmentSerializer,
    TicketCreatedSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketEventSerializer,
    TicketFilterSerializer,
    TicketSerializer,
    TransitionSerializer,
    WorkRecordSerializer,
)

VIEW = "tickets.view_ticket"


_FILTER_PARAMETERS = [
    OpenApiParameter("status", str, description="a status, several separated by commas, or `open`"),
    OpenApiParameter("type", str, description="request type"),
    OpenApiParameter("priority", str),
    OpenApiParameter("assignee", str, description="the assigned technician's username"),
    OpenApiParameter("breached", bool, description="`true`: a clock of the ticket recorded a breach"),
    OpenApiParameter(
        "due_before", OpenApiTypes.DATETIME, description="a running clock is due before this ISO-8601 time"
    ),
    OpenApiParameter("search", str, description="ticket number, unit serial, or customer phone (contact roles)"),
    OpenApiParameter("queue", str, enum=["mine", "unassigned"]),
]


class TicketViewSet(viewsets.GenericViewSet):
    parser_classes = [SafeJSONParser]  # JSON only: form bodies are not part of this API
    serializer_class = TicketSerializer
    permission_classes = [ActionPermissions]
    view_permission = VIEW
    lookup_field = "number"
    lookup_value_regex = r"[A-Za-z0-9-]{1,20}"
    action_permissions = {
        "create": (VIEW, "tickets.add_ticket"),
        "events": (VIEW, "tickets.view_ticketevent"),
        "parts": (VIEW, "tickets.add_partusage"),
        "dispatch_candidates": (VIEW, "tickets.dispatch_ticket", "tickets.view_technician"),
        "attachments": (VIEW, "tickets.view_ticketattachment"),
        "attachment": (VIEW, "tickets.view_ticketattachment"),
        "work": (VIEW, "tickets.work_ticket"),
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema needs the model, not a database
            return Ticket.objects.none()
        return selectors.ticket_list_for_staff(user=self.request.user)

    def get_object(self) -> Ticket:
        ticket = selectors.ticket_for_staff(user=self.request.user, number=self.kwargs["number"])
        if ticket is None:
            raise NotFound()
        return ticket

    def _fresh(self, ticket: Ticket) -> Ticket:
        """The ticket re-read after a write, with everything the representation needs."""
        return selectors.ticket_for_staff(user=self.request.user, number=ticket.number) or ticket

    def _detail(self, ticket: Ticket) -> Response:
        return Response(TicketDetailSerializer(ticket, context=self.get_serializer_context()).data)

    # --- list, retrieve, create ------------------------------------------------------------

    @extend_schema(parameters=_FILTER_PARAMETERS, summary="List the tickets this user may see")
    def list(self, request):
        filters = TicketFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        tickets = selectors.ticket_list_for_staff(user=request.user, **filters.selector_kwargs())
        page = self.paginate_queryset(tickets)
        selectors.tickets_attach_sla(page)
        return self.get_paginated_response(
            TicketSerializer(page, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(responses={200: TicketDetailSerializer}, summary="One ticket")
    def retrieve(self, request, number: str):
        return self._detail(self.get_object())

    @extend_schema(
        request=TicketCreateSerializer,
        responses={201: TicketCreatedSerializer, 400: OpenApiResponse(description="invalid input")},
        summary="Register a request for a customer (phone, letter, walk-in …)",
    )
    def create(self, request):
        serializer = TicketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors():
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
        ticket = self._fresh(created.ticket)
        ticket.tracking_url = created.tracking_url
        body = TicketCreatedSerializer(ticket, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": f"{request.path}{ticket.number}/"})

    # --- actions on one ticket ---------------------------------------------------------------

    @extend_schema(
        request=inline_serializer(
            "TicketTransitionRequest",
            {
                "action": serializers.CharField(),
                "note": serializers.CharField(required=False),
            },
        ),
        responses={
            200: TicketDetailSerializer,
            400: OpenApiResponse(description="unknown action or invalid fields"),
            403: OpenApiResponse(description="this user may not perform the action"),
            409: OpenApiResponse(description="not allowed in the current state, or the ticket changed meanwhile"),
        },
        summary="Perform an action (acknowledge, diagnose, dispatch …) with its fields",
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, number: str):
        ticket = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = reject_nul(dict(request.data))
        if "note" in body.validated_data:
            data["note"] = body.validated_data["note"]
        with service_errors():
            ticket = services.ticket_transition(
                ticket=ticket, action=body.validated_data["action"], actor=request.user, data=data
            )
        return self._detail(self._fresh(ticket))

    @extend_schema(
        parameters=[OpenApiParameter("page", int)],
        responses={200: TicketEventSerializer(many=True)},
        summary="The ticket's timeline, internal notes included",
    )
    @action(detail=True, methods=["get"])
    def events(self, request, number: str):
        ticket = self.get_object()
        page = self.paginate_queryset(selectors.ticket_events(ticket=ticket))
        return self.get_paginated_response(TicketEventSerializer(page, many=True).data)

    @extend_schema(
        request=NoteCreateSerializer,
        responses={201: TicketEventSerializer},
        summary="Add a note: internal, or public (shown on the customer's tracking page)",
    )
    @action(detail=True, methods=["post"])
    def notes(self, request, number: str):
        user = request.user
        ticket = self.get_object()
        if not services.may_note(ticket, user):
            raise PermissionDenied(_("You may not add notes to tickets."))
        serializer = NoteCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        public = serializer.validated_data["public"]
        with service_errors():  # the service refuses a public note from outside the service desk (403)
            event = services.ticket_staff_note(
                ticket=ticket, body=serializer.validated_data["body"], actor=user, public=public
            )
        return Response(TicketEventSerializer(event).data, status=status.HTTP_201_CREATED)

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
        with service_errors():
            usage = services.part_record(ticket=ticket, actor=request.user, **serializer.validated_data)
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

    # --- attachments ---------------------------------------------------------------------------

    @extend_schema(
        methods=["GET"],
        responses={200: TicketAttachmentSerializer(many=True)},
        summary="The ticket's attachments (photos, documents), internal ones included",
    )
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={
            201: TicketAttachmentSerializer,
            400: OpenApiResponse(description="not a PDF/JPEG/PNG/WebP by content, over 10 MB, or 10 files already"),
            403: OpenApiResponse(description="this user may not add files (or show them to the customer)"),
            415: OpenApiResponse(description="not sent as multipart/form-data"),
        },
        summary="Attach a photo or document (multipart, field `file`)",
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser])
    def attachments(self, request, number: str):
        ticket = self.get_object()
        context = {**self.get_serializer_context(), "ticket": ticket}
        if request.method == "GET":
            rows = ticket.attachments.select_related("uploaded_by").order_by("created_at", "id")
            return Response(TicketAttachmentSerializer(rows, many=True, context=context).data)
        if not services.may_attach(ticket, request.user):
            raise PermissionDenied(_("You may not add files to this ticket."))
        upload = AttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        with service_errors(), validation_codes_kept():
            attachment = services.ticket_attach(
                ticket,
                upload.validated_data["file"],
                by=request.user,
                public=upload.validated_data["public"],
            )
        return Response(TicketAttachmentSerializer(attachment, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="the file, as a download"
            ),
            404: OpenApiResponse(description="no such file on a ticket this user may see"),
        },
        summary="Download one attachment",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>[0-9]{1,18})",
        url_name="attachment",
        renderer_classes=DOWNLOAD_RENDERERS,
    )
    def attachment(self, request, number: str, attachment_id: str):
        ticket = self.get_object()
        attachment = ticket.attachments.filter(pk=int(attachment_id)).first()
        if attachment is None:
            raise NotFound()
        return attachment_response(attachment)

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
        with service_errors(), validation_codes_kept():
            ticket = services.ticket_record_work(ticket=ticket, by=request.user, **body.validated_data)
        return self._detail(self._fresh(ticket))
