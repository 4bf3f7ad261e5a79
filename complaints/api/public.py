"""``POST /api/v1/public/complaints/`` (CONTRACT.md §4): a complaint from anyone, no login, rate-limited.

It follows ``complaints.intake.complaint_submit``, the portal form's path: the customer is found by
phone or created, severity starts ``general`` (staff raise it after triage), and a ticket number
is linked only when it is this customer's. The answer carries the secret tracking link; the
shared ``/public/track/<token>/`` endpoints serve the complaint from there.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers

from aftersales.core.portal.intake import PublicIntakeSerializer, PublicIntakeView

from ..choices import Category
from ..intake import complaint_submit

# Room for the notes intake appends (an unregistered serial, a ticket number) within 5000.
MAX_DESCRIPTION = 4000


class PublicComplaintSerializer(PublicIntakeSerializer):
    category = serializers.ChoiceField(choices=Category.choices)
    description = serializers.CharField(max_length=MAX_DESCRIPTION)
    serial = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    ticket_number = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")


PublicComplaintCreated = inline_serializer(
    "PublicComplaintCreated",
    {
        "number": serializers.CharField(),
        "tracking_token": serializers.CharField(help_text="shown once; keep it to follow the complaint"),
        "tracking_url": serializers.URLField(),
        "linked_to": serializers.CharField(
            allow_null=True, help_text="the open complaint that already handles the same matter, if any"
        ),
        "serial_registered": serializers.BooleanField(allow_null=True),
        "ticket_linked": serializers.BooleanField(allow_null=True),
    },
)


@extend_schema_view(
    post=extend_schema(
        request={"application/json": PublicComplaintSerializer, "multipart/form-data": PublicComplaintSerializer},
        responses={
            201: PublicComplaintCreated,
            400: OpenApiResponse(description="invalid input"),
            429: OpenApiResponse(description="too many requests"),
        },
        summary="Submit a complaint (public)",
        auth=[],
    )
)
class PublicComplaintCreateView(PublicIntakeView):
    intake_serializer_class = PublicComplaintSerializer

    def submit(self, data: dict) -> dict:
        submitted = complaint_submit(
            category=data["category"],
            name=data["name"],
            phone=data["phone"],
            email=data["email"],
            description=data["description"],
            serial=data["serial"],
            ticket_number=data["ticket_number"],
            attachments=data["attachments"],
        )
        created = submitted.created
        return {
            "number": created.complaint.number,
            "tracking_token": created.tracking_token,
            "tracking_url": created.tracking_url,
            "linked_to": created.duplicate_of.number if created.duplicate_of else None,
            "serial_registered": submitted.serial_registered,
            "ticket_linked": submitted.ticket_linked,
        }


urlpatterns = [path("complaints/", PublicComplaintCreateView.as_view(), name="public-complaint-create")]
