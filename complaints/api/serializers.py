"""Shapes of the staff complaints API: the complaint as CONTRACT.md §4 describes it, and checks on input."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aftersales.core.api.cases import (
    CaseAttachmentSerializer,
    CaseEventSerializer,
    CaseFilterSerializer,
    created_serializer,
)
from aftersales.core.api.reading import PlannedRepresentation
from aftersales.core.api.serializers import ChoiceLabelField, SlaClockSerializer, StatusListField, sla_representation
from aftersales.core.portal.fields import CustomerRefField
from aftersales.core.privacy import CUSTOMER_SUMMARY_SCHEMA, customer_summary

from .. import selectors, services
from ..choices import OPEN_STATUSES, Category, CategoryGroup, Channel, Severity, Status
from ..models import BreachReport, Complaint, ComplaintAttachment, ComplaintEvent, CorrectiveAction

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


class ComplaintAttachmentSerializer(CaseAttachmentSerializer):
    url_name = "complaint-attachment"

    class Meta(CaseAttachmentSerializer.Meta):
        model = ComplaintAttachment


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


ComplaintCreatedSerializer = created_serializer(ComplaintDetailSerializer, "ComplaintCreatedSerializer")


class ComplaintEventSerializer(CaseEventSerializer):
    class Meta(CaseEventSerializer.Meta):
        model = ComplaintEvent


# --- filters --------------------------------------------------------------------------------------


class ComplaintFilterSerializer(CaseFilterSerializer):
    status = StatusListField(statuses=Status.values, open_statuses=OPEN_STATUSES, required=False)
    category = serializers.ChoiceField(choices=[*CategoryGroup.choices, *Category.choices], required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    owner = serializers.CharField(max_length=150, required=False)


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
