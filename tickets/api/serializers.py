"""Shapes of the staff tickets API: the ticket as CONTRACT.md §4 describes it, and checks on input."""

from __future__ import annotations

from django.utils import translation
from drf_spectacular.types import OpenApiTypes
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
from ..actions import MAX_TRAVEL_KM
from ..choices import OPEN_STATUSES, Channel, Priority, Status, TicketType
from ..models import PartUsage, Ticket, TicketAttachment, TicketEvent

MAX_TEXT = 5000


# --- the ticket -----------------------------------------------------------------------------


class TicketSerializer(PlannedRepresentation, serializers.ModelSerializer):
    type = serializers.CharField(source="ticket_type", read_only=True)
    type_label = ChoiceLabelField(TicketType.choices, source="ticket_type")
    status_label = ChoiceLabelField(Status.choices, source="status")
    customer = serializers.SerializerMethodField()
    serial = serializers.CharField(source="unit.serial", read_only=True, default=None)
    product_model = serializers.SerializerMethodField()
    region = serializers.CharField(source="region.code", read_only=True, default=None)
    assignee = serializers.CharField(source="assignee.username", read_only=True, default=None)
    actions = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()
    entitlement = serializers.SerializerMethodField()
    quote = serializers.SerializerMethodField()

    class Meta:
        model = Ticket
        fields = [
            "number",
            "type",
            "type_label",
            "channel",
            "priority",
            "status",
            "status_label",
            "created_at",
            "updated_at",
            "customer",
            "serial",
            "product_model",
            "region",
            "assignee",
            "description",
            "actions",
            "sla",
            "escalation_level",
            "entitlement",
            "quote",
            "fault_cause",
            "diagnosis",
            "appointment_at",
            "resolution",
            "functional_test",
            "first_visit_fixed",
            "visits",
            "labour_hours",
            "travel_km",
            "acknowledged_at",
            "resolved_at",
            "closed_at",
            "cancelled_at",
            "reopened_count",
        ]
        read_only_fields = fields

    @extend_schema_field(CUSTOMER_SUMMARY_SCHEMA)
    def get_customer(self, ticket: Ticket) -> dict:
        # Contact details only for the roles that call or visit customers (004 §4.3).
        return customer_summary(ticket.customer, self.context["request"].user)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_product_model(self, ticket: Ticket) -> dict | None:
        if not ticket.unit_id:
            return None
        model = ticket.unit.product_model
        return {"code": model.code, "name": model.name, "category": model.category.code}

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, ticket: Ticket) -> list[str]:
        return services.actions_for(ticket, self.context["request"].user)

    @extend_schema_field(SlaClockSerializer(many=True))
    def get_sla(self, ticket: Ticket) -> list[dict]:
        return sla_representation(selectors.ticket_sla_clocks(ticket))

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_entitlement(self, ticket: Ticket) -> dict | None:
        """The decision stored at diagnosis (kept as decided, even if the policy changed since)."""
        decision = ticket.entitlement
        if decision is None:
            return None
        outputs = decision.outputs
        reasons = outputs.get("reasons", [])
        if translation.get_language() == "zh-hans":
            reasons = outputs.get("reasons_zh_hans", reasons)
        return {
            "in_warranty": decision.in_warranty,
            "basis": outputs.get("basis"),
            "expires_on": outputs.get("expires_on"),
            "covered": outputs.get("covered", {}),
            "charges": outputs.get("charges", {}),
            "needs_quote": outputs.get("needs_quote", False),
            "return_eligible": outputs.get("return_eligible", False),
            "exchange_eligible": outputs.get("exchange_eligible", False),
            "reasons": reasons,
            "policy_version": decision.policy_version,
            "decided_at": serializers.DateTimeField().to_representation(decision.decided_at),
        }

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_quote(self, ticket: Ticket) -> dict | None:
        quote = ticket.quote
        if quote is None:
            return None
        return {
            "status": quote.status,
            "labour_amount": str(quote.labour_amount),
            "travel_amount": str(quote.travel_amount),
            "parts_amount": str(quote.parts_amount),
            "total": str(quote.total),
            "created_at": serializers.DateTimeField().to_representation(quote.created_at),
            "responded_at": quote.responded_at and serializers.DateTimeField().to_representation(quote.responded_at),
        }


class PartUsageSerializer(serializers.ModelSerializer):
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = PartUsage
        fields = [
            "id",
            "part_number",
            "description",
            "quantity",
            "unit_cost",
            "replacement_serial",
            "paid_by_customer",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class TicketAttachmentSerializer(CaseAttachmentSerializer):
    url_name = "ticket-attachment"

    class Meta(CaseAttachmentSerializer.Meta):
        model = TicketAttachment


class TicketDetailSerializer(TicketSerializer):
    parts = PartUsageSerializer(many=True, read_only=True)
    attachments = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "parts", "attachments"]
        read_only_fields = fields

    @extend_schema_field(TicketAttachmentSerializer(many=True))
    def get_attachments(self, ticket: Ticket) -> list[dict]:
        attachments = ticket.attachments.select_related("uploaded_by").order_by("created_at", "id")
        return TicketAttachmentSerializer(attachments, many=True, context={**self.context, "case": ticket}).data


TicketCreatedSerializer = created_serializer(TicketDetailSerializer, "TicketCreatedSerializer")


class TicketEventSerializer(CaseEventSerializer):
    class Meta(CaseEventSerializer.Meta):
        model = TicketEvent


# --- filters ------------------------------------------------------------------------------------


class TicketFilterSerializer(CaseFilterSerializer):
    status = StatusListField(statuses=Status.values, open_statuses=OPEN_STATUSES, required=False)
    type = serializers.ChoiceField(choices=TicketType.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    assignee = serializers.CharField(max_length=150, required=False)
    selector_names = {"type": "ticket_type"}


# --- input --------------------------------------------------------------------------------------


class TicketCreateSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=TicketType.choices)
    customer = CustomerRefField()
    serial = serializers.CharField(max_length=64, required=False, allow_blank=True)
    description = serializers.CharField(max_length=MAX_TEXT)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)


class PartCreateSerializer(serializers.Serializer):
    part_number = serializers.CharField(max_length=64)
    description = serializers.CharField(max_length=200)
    quantity = serializers.IntegerField(min_value=1, max_value=1000)
    unit_cost = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    replacement_serial = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class PartIssueSerializer(serializers.Serializer):
    """Reserved units taken from stock for this ticket (``/api/v1/reservations/``)."""

    reservation = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="id of a reservation for this ticket"
    )
    quantity = serializers.IntegerField(
        min_value=1, max_value=1000, required=False, allow_null=True, help_text="all outstanding by default"
    )
    replacement_serial = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class WorkRecordSerializer(serializers.Serializer):
    """One visit's labour and travel, added to the ticket's totals; at least one of the two."""

    labour_hours = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, max_value=1000, required=False, allow_null=True
    )
    travel_km = serializers.IntegerField(min_value=0, max_value=MAX_TRAVEL_KM, required=False, allow_null=True)
    note = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


# --- dispatch suggestions -------------------------------------------------------------------------


class DispatchTechnicianSerializer(serializers.Serializer):
    username = serializers.CharField(source="technician.user.username")
    name = serializers.SerializerMethodField()
    region = serializers.CharField(source="technician.region.code", default=None)
    skills = serializers.SerializerMethodField()
    reasons = serializers.ListField(child=serializers.CharField())

    def get_name(self, row) -> str:
        return row.technician.user.get_full_name() or row.technician.user.username

    def get_skills(self, row) -> list[str]:
        return [skill.code for skill in row.technician.skills.all()]


class DispatchCandidateSerializer(DispatchTechnicianSerializer):
    skill_match = serializers.BooleanField(allow_null=True)
    same_region = serializers.BooleanField(allow_null=True)
    open_tickets = serializers.IntegerField()
    is_current_assignee = serializers.BooleanField()


class DispatchSuggestionSerializer(serializers.Serializer):
    dispatchable = serializers.BooleanField(help_text="the ticket's state allows dispatching now")
    candidates = DispatchCandidateSerializer(many=True)
    excluded = DispatchTechnicianSerializer(many=True, help_text="not certified: cannot be dispatched")
