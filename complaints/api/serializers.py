"""Shapes of the staff complaints API: the complaint as CONTRACT.md §4 describes it, and checks on input."""

from __future__ import annotations

import re

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aftersales.core.api.reading import PlannedRepresentation
from aftersales.core.api.serializers import ChoiceLabelField, SlaClockSerializer, StatusListField, sla_representation
from aftersales.core.portal.fields import CustomerRefField
from aftersales.core.privacy import CUSTOMER_SUMMARY_SCHEMA, customer_summary
from aftersales.core.uploads import validate_attachment

from .. import selectors, services
from ..choices import OPEN_STATUSES, Category, CategoryGroup, Channel, Severity, Status
from ..models import BreachReport, Complaint, ComplaintAttachment, ComplaintEvent, CorrectiveAction
from ..selectors import Queue

MAX_TEXT = 5000


class ComplaintSerializer(PlannedRepresentation, serializers.ModelSerializer):
    status_label = ChoiceLabelField(Status.choices, source="status")
    category_label = ChoiceLabelField(Category.choices, source="category")
    customer = serializers.SerializerMethodField()
    serial = serializers.CharField(source="unit.serial", read_only=True, default=None)
    owner = serializers.CharField(source="owner.username", read_only=True, default=None)
    duplicate_of = serializers.CharField(source="duplicate_of.number", read_only=True, default=None)
    actions = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "number",
            "channel",
            "category",
            "category_label",
            "severity",
            "status",
            "status_label",
            "created_at",
            "updated_at",
            "customer",
            "serial",
            "owner",
            "description",
            "actions",
            "sla",
            "escalation_level",
            "promised_by",
            "duplicate_of",
            "acknowledged_at",
            "proposed_at",
            "confirmed_at",
            "closed_at",
            "reopened_count",
            "objection_count",
        ]
        read_only_fields = fields

    @extend_schema_field(CUSTOMER_SUMMARY_SCHEMA)
    def get_customer(self, complaint: Complaint) -> dict:
        # Contact details only for the roles that call or visit customers (004 §4.3).
        return customer_summary(complaint.customer, self.context["request"].user)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, complaint: Complaint) -> list[str]:
        return services.actions_for(complaint, self.context["request"].user)

    @extend_schema_field(SlaClockSerializer(many=True))
    def get_sla(self, complaint: Complaint) -> list[dict]:
        return sla_representation(selectors.complaint_sla_clocks(complaint))


class CorrectiveActionSerializer(serializers.ModelSerializer):
    complaint = serializers.CharField(source="complaint.number", read_only=True)
    owner = serializers.CharField(source="owner.username", read_only=True)
    verified_by = serializers.CharField(source="verified_by.username", read_only=True, default=None)

    class Meta:
        model = CorrectiveAction
        fields = [
            "id",
            "complaint",
            "description",
            "owner",
            "due_at",
            "status",
            "escalation_level",
            "created_at",
            "done_at",
            "done_note",
            "verified_at",
            "verified_by",
            "verification_note",
        ]
        read_only_fields = fields


class BreachReportSerializer(serializers.ModelSerializer):
    assignee = serializers.CharField(source="assignee.username", read_only=True, default=None)
    done_by = serializers.CharField(source="done_by.username", read_only=True, default=None)

    class Meta:
        model = BreachReport
        fields = ["id", "clock_name", "assignee", "created_at", "explanation", "remedy", "done_at", "done_by"]
        read_only_fields = fields


class ComplaintAttachmentSerializer(serializers.ModelSerializer):
    """One file on a complaint; ``download_url`` is the access-checked download (never a public media URL)."""

    name = serializers.CharField(source="original_name", read_only=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True, default=None)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ComplaintAttachment
        fields = [
            "id",
            "name",
            "size",
            "content_type",
            "created_at",
            "by_customer",
            "public",
            "uploaded_by",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, attachment: ComplaintAttachment) -> str:
        path = reverse(
            "complaint-attachment", kwargs={"number": attachment.complaint.number, "attachment_id": attachment.pk}
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ComplaintDetailSerializer(ComplaintSerializer):
    tickets = serializers.SlugRelatedField(slug_field="number", many=True, read_only=True)
    duplicates = serializers.SlugRelatedField(slug_field="number", many=True, read_only=True)
    responsible_staff = serializers.CharField(source="responsible_staff.username", read_only=True, default=None)
    proposed_by = serializers.CharField(source="proposed_by.username", read_only=True, default=None)
    approved_by = serializers.CharField(source="approved_by.username", read_only=True, default=None)
    corrective_actions = CorrectiveActionSerializer(many=True, read_only=True)
    breach_reports = BreachReportSerializer(many=True, read_only=True)
    attachments = ComplaintAttachmentSerializer(many=True, read_only=True)

    class Meta(ComplaintSerializer.Meta):
        fields = [
            *ComplaintSerializer.Meta.fields,
            "tickets",
            "duplicates",
            "duplicate_override_reason",
            "cause",
            "root_causes",
            "findings",
            "responsible_staff",
            "resolution_type",
            "resolution",
            "compensation_kind",
            "compensation_amount",
            "proposed_by",
            "approved_by",
            "approved_at",
            "contact_attempts",
            "return_visit",
            "close_reason",
            "visited_at",
            "withdrawn_at",
            "corrective_actions",
            "breach_reports",
            "attachments",
        ]
        read_only_fields = fields


class ComplaintCreatedSerializer(ComplaintDetailSerializer):
    """The new complaint, plus the customer's link (shown once: only the token's hash is stored)."""

    tracking_url = serializers.CharField(read_only=True)

    class Meta(ComplaintDetailSerializer.Meta):
        fields = [*ComplaintDetailSerializer.Meta.fields, "tracking_url"]
        read_only_fields = fields


class ComplaintEventSerializer(serializers.ModelSerializer):
    at = serializers.DateTimeField(source="created_at", read_only=True)
    actor = serializers.CharField(source="actor.username", read_only=True, default=None)

    class Meta:
        model = ComplaintEvent
        fields = ["id", "at", "action", "from_status", "to_status", "actor", "by_customer", "note", "data", "public"]
        read_only_fields = fields


# --- filters --------------------------------------------------------------------------------------

_OFFSET_AFTER_SPACE = re.compile(r" (\d{2}:?\d{2})$")


class ComplaintFilterSerializer(serializers.Serializer):
    status = StatusListField(statuses=Status.values, open_statuses=OPEN_STATUSES, required=False)
    category = serializers.ChoiceField(choices=[*CategoryGroup.choices, *Category.choices], required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    owner = serializers.CharField(max_length=150, required=False)
    breached = serializers.BooleanField(required=False, allow_null=True, default=None)
    due_before = serializers.DateTimeField(required=False)
    search = serializers.CharField(max_length=100, required=False)
    queue = serializers.ChoiceField(choices=Queue.CHOICES, required=False)

    def to_internal_value(self, data):
        data = {key: value for key, value in data.items() if value != ""}
        # An unencoded "+08:00" in a query string arrives as " 08:00"; read it as meant.
        if isinstance(data.get("due_before"), str):
            data["due_before"] = _OFFSET_AFTER_SPACE.sub(r"+\1", data["due_before"].strip())
        return super().to_internal_value(data)

    def selector_kwargs(self) -> dict:
        data = self.validated_data
        return {
            "statuses": data.get("status", []),
            "category": data.get("category", ""),
            "severity": data.get("severity", ""),
            "channel": data.get("channel", ""),
            "owner": data.get("owner", ""),
            "breached": data.get("breached"),
            "due_before": data.get("due_before"),
            "search": data.get("search", ""),
            "queue": data.get("queue", ""),
        }


# --- input ------------------------------------------------------------------------------------------


class ComplaintCreateSerializer(serializers.Serializer):
    customer = CustomerRefField()
    category = serializers.ChoiceField(choices=Category.choices)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.GENERAL)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)
    description = serializers.CharField(max_length=MAX_TEXT)
    serial = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    tickets = serializers.ListField(
        child=serializers.CharField(max_length=20), max_length=20, required=False, default=list
    )
    owner = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    allow_duplicate = serializers.BooleanField(
        default=False, help_text="handle separately even if the same matter is open (needs duplicate_reason)"
    )
    duplicate_reason = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


class TransitionSerializer(serializers.Serializer):
    """Only ``action`` is checked here; the action's own fields are checked by ``complaints.actions``."""

    action = serializers.CharField(max_length=40)
    note = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)


class ComplaintNoteCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_TEXT)
    public = serializers.BooleanField(default=False, help_text="shown on the customer's tracking page")


class ComplaintAttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        validators=[validate_attachment], help_text="PDF, JPEG, PNG or WebP, at most 10 MB (checked by content)"
    )
    public = serializers.BooleanField(default=False, help_text="shown on the customer's tracking page (desk roles)")


class CorrectiveActionCreateSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=MAX_TEXT)
    owner = serializers.CharField(max_length=150)
    due_at = serializers.DateTimeField()


class CorrectiveActionCompleteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=MAX_TEXT)


class CorrectiveActionVerifySerializer(serializers.Serializer):
    effective = serializers.BooleanField()
    note = serializers.CharField(max_length=MAX_TEXT)
    new_due_at = serializers.DateTimeField(required=False, allow_null=True, help_text="when not effective")


class BreachExplainSerializer(serializers.Serializer):
    explanation = serializers.CharField(max_length=MAX_TEXT)
    remedy = serializers.CharField(max_length=MAX_TEXT)
