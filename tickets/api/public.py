"""The customer's endpoints under ``/api/v1/public/`` (CONTRACT.md §4): no login, rate-limited.

``POST requests/`` registers a service request and hands back the secret tracking link. The
``track/<token>/…`` endpoints serve whatever the token belongs to through the trackables registry
(aftersales/core/trackables.py): tickets register ``TicketTrackable`` below, complaints will
register theirs, and these views never need to know which app answered.

Decisions (see also the docstrings):
- The customer is found by normalised phone number, else created; nothing a stranger types ever
  changes an existing customer's record (name, email), and the answer does not say whether the
  number was known.
- A serial number is attached when it names a registered unit; an unknown one is accepted (the
  request matters more than the paperwork), kept in the description for staff, and the answer says
  ``"serial_registered": false`` so the portal can suggest registering the unit.
- Priority from the public is ``normal`` or ``high``. ``critical`` starts a 1-hour promise, a 4-hour
  swap rule and escalations (002 §4, §11): staff set it after triage, so a self-declared critical
  cannot jump the queue or page supervisors at night. ``low`` is not offered either.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from aftersales.core import clock
from aftersales.core.api.errors import Conflict
from aftersales.core.api.parsers import SafeJSONParser
from aftersales.core.api.renderers import DOWNLOAD_RENDERERS
from aftersales.core.api.services import validation_codes_kept
from aftersales.core.api.throttling import PublicRateThrottle
from aftersales.core.attachments import attachment_response
from aftersales.core.services import clean_phone
from aftersales.core.trackables import (
    CaseTrackable,
    TrackingActionUnsupported,
    TrackingConflict,
    trackable_find,
)
from aftersales.core.trackables import tracking_time as _time
from aftersales.core.uploads import validate_attachment

from .. import selectors, services
from ..choices import Channel, ClockName, Priority, Status, TicketType
from ..intake import MAX_REQUEST_ATTACHMENTS, request_submit
from ..models import Ticket
from .common import CONFLICTS

MAX_TEXT = 5000
PUBLIC_TYPES = [TicketType.REPAIR, TicketType.CONSULTATION, TicketType.INSTALLATION, TicketType.RETURN_EXCHANGE]
PUBLIC_PRIORITIES = [Priority.NORMAL, Priority.HIGH]
_RESOLVED = (Status.RESOLVED, Status.CONFIRMED, Status.CLOSED)


# --- the ticket as a trackable ------------------------------------------------------------------


class TicketTrackable(CaseTrackable):
    """Tickets behind ``/track/<token>/``: what the customer sees and may do (registered in apps.py)."""

    kind = "ticket"
    status_choices = Status
    clock_names = ClockName

    def find(self, token_hash: str) -> Ticket | None:
        return selectors.ticket_by_tracking_token_hash(token_hash)

    def represent(self, ticket: Ticket, *, now: datetime) -> dict:
        view = selectors.ticket_customer_view(ticket, now=now)
        data = {
            "kind": self.kind,
            "number": ticket.number,
            "type": ticket.ticket_type,
            "type_label": ticket.get_ticket_type_display(),
            "status": ticket.status,
            "status_label": ticket.get_status_display(),
            "created_at": _time(ticket.created_at),
            "product": (
                {"model": ticket.unit.product_model.code, "name": ticket.unit.product_model.name}
                if ticket.unit_id
                else None
            ),
            "appointment_at": _time(ticket.appointment_at),
            "resolution": ticket.resolution if ticket.status in _RESOLVED else "",
            "timeline": self.timeline_rows(view.timeline),
            "sla": self.clock_rows(view.clocks),
            "actions": [*view.actions, *(["attach"] if services.customer_may_attach(ticket) else [])],
            "attachments": self.attachment_rows(ticket),
            "reopen_until": _time(view.reopen_until),
            "rating": view.rated_score,
            "quote": None,
        }
        if "approve_quote" in view.actions:
            quote = ticket.quote
            data["quote"] = {
                "labour_amount": str(quote.labour_amount),
                "travel_amount": str(quote.travel_amount),
                "parts_amount": str(quote.parts_amount),
                "total": str(quote.total),
                "created_at": _time(quote.created_at),
                "lines": [
                    {
                        "part_number": line.part_number,
                        "description": line.description,
                        "quantity": line.quantity,
                        "unit_price": str(line.charged_unit_price),
                    }
                    for line in selectors.ticket_quote_lines(ticket)
                ],
            }
        return data

    def perform(self, ticket: Ticket, action: str, payload: dict, *, now: datetime) -> None:
        try:
            if action == "attach":
                services.ticket_attach(ticket, payload["file"], by_customer=True, now=now)
            elif action == "message":
                services.ticket_customer_message(ticket=ticket, body=payload["body"], now=now)
            elif action == "rate":
                services.survey_answer(ticket=ticket, score=payload["score"], comment=payload["comment"], now=now)
            elif action in ("confirm", "reopen", "approve_quote", "decline_quote"):
                note = payload.get("reason") or payload.get("note") or ""
                services.ticket_transition(ticket=ticket, action=action, by_customer=True, data={"note": note}, now=now)
            else:
                raise TrackingActionUnsupported(action)
        except CONFLICTS as error:
            raise TrackingConflict(str(error)) from error


# --- shared view plumbing ---------------------------------------------------------------------


class PublicView(APIView):
    parser_classes = [SafeJSONParser]  # JSON only: form bodies are not part of this API
    authentication_classes: list = []  # public: a stale session or token must not turn it into a 401/403
    permission_classes = [AllowAny]
    throttle_classes = [PublicRateThrottle]
    throttle_scope = "public"

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Answers carry a secret link or what it opens: never kept by a shared cache or proxy.
        add_never_cache_headers(response)
        return response


# --- POST /public/requests/ ---------------------------------------------------------------------


class PublicRequestSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=[(value, value.label) for value in PUBLIC_TYPES])
    serial = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=50)
    email = serializers.EmailField(required=False, allow_blank=True, default="", max_length=254)
    description = serializers.CharField(max_length=MAX_TEXT)
    priority = serializers.CharField(required=False, default=Priority.NORMAL)
    attachments = serializers.ListField(
        child=serializers.FileField(validators=[validate_attachment]),
        max_length=MAX_REQUEST_ATTACHMENTS,
        required=False,
        default=list,
        help_text="multipart only: up to 5 photos or documents (PDF, JPEG, PNG, WebP; 10 MB each)",
    )

    def validate_phone(self, value: str) -> str:
        try:
            return clean_phone(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error

    def validate_priority(self, value: str) -> str:
        if value not in PUBLIC_PRIORITIES:
            raise serializers.ValidationError(
                _("Choose normal or high. Our staff raise a request to critical after checking it.")
            )
        return value


PublicRequestCreated = inline_serializer(
    "PublicRequestCreated",
    {
        "number": serializers.CharField(),
        "tracking_token": serializers.CharField(help_text="shown once; keep it to follow the request"),
        "tracking_url": serializers.URLField(),
        "serial_registered": serializers.BooleanField(
            allow_null=True, help_text="null: no serial given; false: unknown serial, not attached"
        ),
    },
)


class PublicRequestCreateView(PublicView):
    # JSON as always; multipart when the customer sends photos with the request.
    parser_classes = [SafeJSONParser, MultiPartParser]

    @extend_schema(
        request={"application/json": PublicRequestSerializer, "multipart/form-data": PublicRequestSerializer},
        responses={
            201: PublicRequestCreated,
            400: OpenApiResponse(description="invalid input"),
            429: OpenApiResponse(description="too many requests"),
        },
        summary="Submit a service request (public)",
        auth=[],
    )
    def post(self, request):
        serializer = PublicRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # The same path as the portal's form (tickets/intake.py): one rule for finding the customer
        # and for serial numbers nobody registered.
        with validation_codes_kept():
            submitted = request_submit(
                ticket_type=data["type"],
                name=data["name"],
                phone=data["phone"],
                email=data["email"],
                description=data["description"],
                serial=data["serial"],
                priority=data["priority"],
                channel=Channel.WEB,
                attachments=data["attachments"],
            )
        created = submitted.created
        return Response(
            {
                "number": created.ticket.number,
                "tracking_token": created.tracking_token,
                "tracking_url": created.tracking_url,
                "serial_registered": submitted.serial_registered,
            },
            status=status.HTTP_201_CREATED,
        )


# --- /public/track/<token>/… --------------------------------------------------------------------


class MessageSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_TEXT)


class RateSerializer(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReopenSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_TEXT)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class EmptySerializer(serializers.Serializer):
    pass


TRACK_ACTIONS: dict[str, type[serializers.Serializer]] = {
    "message": MessageSerializer,
    "confirm": EmptySerializer,
    "rate": RateSerializer,
    "reopen": ReopenSerializer,
    "object": ReopenSerializer,  # a complaint's customer objects to the proposed resolution, with a reason
    "approve_quote": NoteSerializer,
    "decline_quote": NoteSerializer,
}

TrackedItem = inline_serializer(
    "TrackedItem",
    {
        "kind": serializers.CharField(help_text="ticket or complaint"),
        "number": serializers.CharField(),
        "status": serializers.CharField(),
        "status_label": serializers.CharField(),
        "created_at": serializers.DateTimeField(),
        "timeline": serializers.ListField(child=serializers.DictField()),
        "sla": serializers.ListField(child=serializers.DictField()),
        "actions": serializers.ListField(child=serializers.CharField()),
        "attachments": serializers.ListField(
            child=serializers.DictField(),
            help_text="id, name, size, content_type, created_at, by, download_url",
        ),
    },
)


def _tracked(token: str):
    tracked = trackable_find(token)
    if tracked is None:
        raise NotFound()
    return tracked


def _represented(request, token: str, tracked, *, now: datetime) -> dict:
    """The trackable's view, with each attachment's download link (built here: only the link knows the token)."""
    data = tracked.trackable.represent(tracked.subject, now=now)
    for attachment in data.get("attachments", []):
        path = reverse("public-track-attachment", kwargs={"token": token, "attachment_id": attachment["id"]})
        attachment["download_url"] = request.build_absolute_uri(path)
    return data


class TrackView(PublicView):
    @extend_schema(
        responses={200: TrackedItem, 404: OpenApiResponse(description="unknown or malformed token")},
        summary="What the customer may see of a request or complaint (public)",
        auth=[],
    )
    def get(self, request, token: str):
        tracked = _tracked(token)
        return Response(_represented(request, token, tracked, now=clock.now()))


class TrackActionView(PublicView):
    """``POST track/<token>/<action>/``: one customer action, answered with the updated view."""

    action_name = ""

    def get_serializer_class(self):  # for the schema
        return TRACK_ACTIONS[self.action_name]

    def perform_action(self, request, token: str) -> Response:
        tracked = _tracked(token)
        payload = TRACK_ACTIONS[self.action_name](data=request.data)
        payload.is_valid(raise_exception=True)
        now = clock.now()
        try:
            tracked.trackable.perform(tracked.subject, self.action_name, dict(payload.validated_data), now=now)
        except TrackingConflict as error:
            raise Conflict(str(error) or None) from error
        except TrackingActionUnsupported as error:
            raise NotFound() from error
        # Read again: the action changed the subject (status, timeline, actions).
        tracked = _tracked(token)
        code = status.HTTP_201_CREATED if self.action_name == "message" else status.HTTP_200_OK
        return Response(_represented(request, token, tracked, now=now), status=code)


class PublicAttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        validators=[validate_attachment], help_text="PDF, JPEG, PNG or WebP, at most 10 MB (checked by content)"
    )


class TrackAttachmentsView(PublicView):
    """``POST track/<token>/attachments/``: the customer adds a photo or document (multipart, ``file``)."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": PublicAttachmentUploadSerializer},
        responses={
            201: TrackedItem,
            400: OpenApiResponse(description="not a PDF/JPEG/PNG/WebP by content, over 10 MB, or 10 files already"),
            404: OpenApiResponse(description="unknown token, or this item takes no files"),
            409: OpenApiResponse(description="the request is closed"),
            415: OpenApiResponse(description="not sent as multipart/form-data"),
        },
        summary="Customer action: attach a photo or document (public)",
        auth=[],
    )
    def post(self, request, token: str):
        tracked = _tracked(token)
        upload = PublicAttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        now = clock.now()
        try:
            with validation_codes_kept():
                tracked.trackable.perform(tracked.subject, "attach", {"file": upload.validated_data["file"]}, now=now)
        except TrackingConflict as error:
            raise Conflict(str(error) or None) from error
        except TrackingActionUnsupported as error:
            raise NotFound() from error
        tracked = _tracked(token)
        return Response(_represented(request, token, tracked, now=now), status=status.HTTP_201_CREATED)


class TrackAttachmentView(PublicView):
    """``GET track/<token>/attachments/<id>/``: one file the customer may see, as a download."""

    renderer_classes = DOWNLOAD_RENDERERS

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                response=OpenApiTypes.BINARY, description="the file, as a download"
            ),
            404: OpenApiResponse(description="unknown token, or no such file for the customer"),
        },
        summary="Download a file of a request or complaint (public)",
        auth=[],
    )
    def get(self, request, token: str, attachment_id: int):
        tracked = _tracked(token)
        find = getattr(tracked.trackable, "attachment", None)
        attachment = find(tracked.subject, attachment_id) if find is not None else None
        if attachment is None:
            raise NotFound()
        return attachment_response(attachment)


def _action_view(name: str):
    """A view class per action, so each gets its own request schema in the OpenAPI document."""

    def post(self, request, token: str):
        return self.perform_action(request, token)

    schema = extend_schema(
        request=TRACK_ACTIONS[name],
        responses={
            201 if name == "message" else 200: TrackedItem,
            400: OpenApiResponse(description="invalid input"),
            404: OpenApiResponse(description="unknown token, or no such action for this item"),
            409: OpenApiResponse(description="not possible now (state, already rated, window over)"),
        },
        summary=f"Customer action: {name.replace('_', ' ')} (public)",
        auth=[],
    )
    view_class = type(
        f"Track{name.title().replace('_', '')}View", (TrackActionView,), {"action_name": name, "post": schema(post)}
    )
    return view_class.as_view()


urlpatterns = [
    path("requests/", PublicRequestCreateView.as_view(), name="public-request-create"),
    path("track/<str:token>/", TrackView.as_view(), name="public-track"),
    path("track/<str:token>/messages/", _action_view("message"), name="public-track-message"),
    path("track/<str:token>/attachments/", TrackAttachmentsView.as_view(), name="public-track-attachments"),
    path(
        "track/<str:token>/attachments/<int:attachment_id>/",
        TrackAttachmentView.as_view(),
        name="public-track-attachment",
    ),
    *[
        path(f"track/<str:token>/{name.replace('_', '-')}/", _action_view(name), name=f"public-track-{name}")
        for name in ("confirm", "rate", "reopen", "object", "approve_quote", "decline_quote")
    ],
]
