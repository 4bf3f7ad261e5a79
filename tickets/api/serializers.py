"""Shapes of the staff tickets API: the ticket as CONTRACT.md §4 describes it, and checks on input."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aftersales.core.api.reading import PlannedRepresentation
from aftersales.core.api.serializers import ChoiceLabelField, SlaClockSerializer, StatusListField, sla_representation
from aftersales.core.portal.fields import CustomerRefField
from aftersales.core.privacy import CUSTOMER_SUMMARY_SCHEMA, customer_summary
from aftersales.core.uploads import validate_attachment

from .. import selectors, services
from ..actions import MAX_TRAVEL_KM
from ..choices import OPEN_STATUSES, Channel, Priority, Status, TicketType
from ..models import PartUsage, Ticket, TicketAttachment, TicketEvent
from ..selectors import Queue

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


class TicketAttachmentSerializer(serializers.ModelSerializer):
    """One file on a ticket; ``download_url`` is the access-checked download (never a public media URL)."""

    name = serializers.CharField(source="original_name", read_only=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True, default=None)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = TicketAttachment
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

    def get_download_url(self, attachment: TicketAttachment) -> str:
        ticket = self.context.get("ticket") or attachment.ticket
        path = reverse("ticket-attachment", kwargs={"number": ticket.number, "attachment_id": attachment.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class TicketDetailSerializer(TicketSerializer):
    parts = PartUsageSerializer(many=True, read_only=True)
    attachments = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "parts", "attachments"]
        read_only_fields = fields

    @extend_schema_field(TicketAttachmentSerializer(many=True))
    def get_attachments(self, ticket: Ticket) -> list[dict]:
        attachments = ticket.attachments.select_related("uploaded_by").order_by("created_at", "id")
        return TicketAttachmentSerializer(attachments, many=True, context={**self.context, "ticket": ticket}).data


class TicketCreatedSerializer(TicketDetailSerializer):
    """The new ticket, plus the customer's link (shown once: only the token's hash is stored)."""

    tracking_url = serializers.CharField(read_only=True)

    class Meta(TicketDetailSerializer.Meta):
        fields = [*TicketDetailSerializer.Meta.fields, "tracking_url"]
        read_only_fields = fields


class TicketEventSerializer(serializers.ModelSerializer):
    at = serializers.DateTimeField(source="created_at", read_only=True)
    actor = serializers.CharField(source="actor.username", read_only=True, default=None)

    class Meta:
        model = TicketEvent
        fields = ["id", "at", "action", "from_status", "to_status", "actor", "by_customer", "public", "note", "data"]
        read_only_fields = fields


# --- filters ------------------------------------------------------------------------------------

_OFFSET_AFTER_SPACE = re.compile(r" (\d{2}:?\d{2})$")


class TicketFilterSerializer(serializers.Serializer):
    status = StatusListField(statuses=Status.values, open_statuses=OPEN_STATUSES, required=False)
    type = serializers.ChoiceField(choices=TicketType.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    assignee = serializers.CharField(max_length=150, required=False)
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
            "ticket_type": data.get("type", ""),
            "priority": data.get("priority", ""),
            "assignee": data.get("assignee", ""),
            "breached": data.get("breached"),
            "due_before": data.get("due_before"),
            "search": data.get("search", ""),
            "queue": data.get("queue", ""),
        }


# --- input --------------------------------------------------------------------------------------


class TicketCreateSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=TicketType.choices)
    customer = CustomerRefField()
    serial = serializers.CharField(max_length=64, required=False, allow_blank=True)
    description = serializers.CharField(max_length=MAX_TEXT)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.PHONE)


class TransitionSerializer(serializers.Serializer):
    """Only ``action`` is checked here; the action's own fields are checked by ``tickets.actions``."""

    action = serializers.CharField(max_length=40)
    note = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)


class NoteCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=MAX_TEXT)
    public = serializers.BooleanField(default=False, help_text="shown on the customer's tracking page")


class PartCreateSerializer(serializers.Serializer):
    part_number = serializers.CharField(max_length=64)
    description = serializers.CharField(max_length=200)
    quantity = serializers.IntegerField(min_value=1, max_value=1000)
    unit_cost = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    replacement_serial = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        validators=[validate_attachment], help_text="PDF, JPEG, PNG or WebP, at most 10 MB (checked by content)"
    )
    public = serializers.BooleanField(
        default=False, help_text="shown on the customer's tracking page (service desk roles only)"
    )


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
