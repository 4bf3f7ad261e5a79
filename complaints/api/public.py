"""``POST /api/v1/public/complaints/`` (CONTRACT.md §4): a complaint from anyone, no login, rate-limited.

It follows ``complaints.intake.complaint_submit``, the portal form's path: the customer is found by
phone or created, severity starts ``general`` (staff raise it after triage), and a ticket number
is linked only when it is this customer's. The answer carries the secret tracking link; the
shared ``/public/track/<token>/`` endpoints serve the complaint from there.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from aftersales.core.api.parsers import SafeJSONParser
from aftersales.core.api.services import reject_nul, validation_codes_kept
from aftersales.core.portal.fields import intake_attachments_field
from aftersales.core.portal.views import PublicView
from aftersales.core.services import clean_phone

from ..choices import Category
from ..intake import complaint_submit

# Room for the notes intake appends (an unregistered serial, a ticket number) within 5000.
MAX_DESCRIPTION = 4000


class PublicComplaintSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Category.choices)
    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(max_length=50)
    email = serializers.EmailField(required=False, allow_blank=True, default="", max_length=254)
    description = serializers.CharField(max_length=MAX_DESCRIPTION)
    serial = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    ticket_number = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    attachments = intake_attachments_field()

    def validate_phone(self, value: str) -> str:
        try:
            return clean_phone(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error


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


class PublicComplaintCreateView(PublicView):
    # JSON as always; multipart when the customer sends photos with the complaint.
    parser_classes = [SafeJSONParser, MultiPartParser]

    @extend_schema(
        request={"application/json": PublicComplaintSerializer, "multipart/form-data": PublicComplaintSerializer},
        responses={
            201: PublicComplaintCreated,
            400: OpenApiResponse(description="invalid input"),
            429: OpenApiResponse(description="too many requests"),
        },
        summary="Submit a complaint (public)",
        auth=[],
    )
    def post(self, request):
        serializer = PublicComplaintSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        reject_nul({key: value for key, value in data.items() if key != "attachments"})
        with validation_codes_kept():
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
        return Response(
            {
                "number": created.complaint.number,
                "tracking_token": created.tracking_token,
                "tracking_url": created.tracking_url,
                "linked_to": created.duplicate_of.number if created.duplicate_of else None,
                "serial_registered": submitted.serial_registered,
                "ticket_linked": submitted.ticket_linked,
            },
            status=status.HTTP_201_CREATED,
        )


urlpatterns = [path("complaints/", PublicComplaintCreateView.as_view(), name="public-complaint-create")]
