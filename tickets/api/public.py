"""The customer's endpoints under ``/api/v1/public/`` (CONTRACT.md §4): no login, rate-limited.

``POST requests/`` registers a service request and hands back the secret tracking link. The
``track/<token>/…`` endpoints are the portal shell's (aftersales/portal/api.py); they serve the
ticket through ``tickets.trackable.TicketTrackable``.

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

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers

from aftersales.core.portal.intake import PublicIntakeSerializer, PublicIntakeView

from ..choices import Channel, Priority, Status, TicketType
from ..intake import request_submit

MAX_TEXT = 5000
PUBLIC_TYPES = [TicketType.REPAIR, TicketType.CONSULTATION, TicketType.INSTALLATION, TicketType.RETURN_EXCHANGE]
PUBLIC_PRIORITIES = [Priority.NORMAL, Priority.HIGH]
_RESOLVED = (Status.RESOLVED, Status.CONFIRMED, Status.CLOSED)


# --- shared view plumbing ---------------------------------------------------------------------


# --- POST /public/requests/ ---------------------------------------------------------------------


class PublicRequestSerializer(PublicIntakeSerializer):
    type = serializers.ChoiceField(choices=[(value, value.label) for value in PUBLIC_TYPES])
    serial = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=MAX_TEXT)
    priority = serializers.CharField(required=False, default=Priority.NORMAL)

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


@extend_schema_view(
    post=extend_schema(
        request={"application/json": PublicRequestSerializer, "multipart/form-data": PublicRequestSerializer},
        responses={
            201: PublicRequestCreated,
            400: OpenApiResponse(description="invalid input"),
            429: OpenApiResponse(description="too many requests"),
        },
        summary="Submit a service request (public)",
        auth=[],
    )
)
class PublicRequestCreateView(PublicIntakeView):
    intake_serializer_class = PublicRequestSerializer

    def submit(self, data: dict) -> dict:
        # The same path as the portal's form (tickets/intake.py): one rule for finding the customer
        # and for serial numbers nobody registered.
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
        return {
            "number": created.ticket.number,
            "tracking_token": created.tracking_token,
            "tracking_url": created.tracking_url,
            "serial_registered": submitted.serial_registered,
        }


urlpatterns = [path("requests/", PublicRequestCreateView.as_view(), name="public-request-create")]
