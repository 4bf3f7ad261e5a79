"""Shapes of the staff incidents API (CONTRACT.md §4 "Incidents"), and checks on input."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aftersales.core.api.cases import CaseAttachmentSerializer, CaseEventSerializer, CaseFilterSerializer
from aftersales.core.api.serializers import ChoiceLabelField, SlaClockSerializer, StatusListField, sla_representation

from .. import selectors, services
from ..choices import OPEN_STATUSES, Channel, IncidentType, Level, Status
from ..models import ChecklistItem, Incident, IncidentAttachment, IncidentEvent, Page

MAX_TEXT = 5000


class ChecklistItemSerializer(serializers.ModelSerializer):
    done_by = serializers.CharField(source="done_by.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = ChecklistItem
        fields = ["id", "title", "owner_role", "due_at", "done_at", "done_by", "level"]
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer):
    status_label = ChoiceLabelField(Status.choices, source="status")
    incident_type_label = ChoiceLabelField(IncidentType.choices, source="incident_type")
    commander = serializers.CharField(source="commander.username", read_only=True, default=None, allow_null=True)
    reporter = serializers.CharField(source="reporter.username", read_only=True, default=None, allow_null=True)
    # An incident is created when it is reported (CONTRACT.md §4: every case has ``created_at``).
    created_at = serializers.DateTimeField(source="reported_at", read_only=True)
    actions = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "number",
            "incident_type",
            "incident_type_label",
            "level",
            "title",
            "status",
            "status_label",
            "drill",
            "channel",
            "created_at",
            "updated_at",
            "reported_at",
            "reporter",
            "commander",
            "actions",
            "sla",
            "escalation_level",
            "acknowledged_at",
            "activated_at",
            "recovered_at",
            "closed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, incident: Incident) -> list[str]:
        return services.actions_for(incident, self.context["request"].user)

    @extend_schema_field(SlaClockSerializer(many=True))
    def get_sla(self, incident: Incident) -> list[dict]:
        return sla_representation(selectors.incident_sla_clocks(incident))


class PageSerializer(serializers.ModelSerializer):
    recipient = serializers.CharField(source="recipient.username", read_only=True)

    class Meta:
        model = Page
        fields = ["recipient", "channel", "step", "loop", "sent_at", "acknowledged_at"]
        read_only_fields = fields


class PagingSerializer(serializers.Serializer):
    """The incident's current paging run (None: nobody was paged)."""

    level = serializers.IntegerField()
    state = serializers.CharField()
    step = serializers.IntegerField()
    loop = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", default=None, allow_null=True)
    acknowledged_via = serializers.CharField(allow_blank=True)


class AffectedSerializer(serializers.Serializer):
    units = serializers.IntegerField(help_text="registered units the scope names")
    customers = serializers.IntegerField(help_text="their owners, each counted once")
    notified = serializers.IntegerField(help_text="customers a notice was sent to (a drill's: meant for)")


class IncidentDetailSerializer(IncidentSerializer):
    communications = serializers.CharField(
        source="communications.username", read_only=True, default=None, allow_null=True
    )
    scribe = serializers.CharField(source="scribe.username", read_only=True, default=None, allow_null=True)
    checklist = ChecklistItemSerializer(many=True, read_only=True)
    scope = serializers.JSONField(read_only=True)
    affected = serializers.SerializerMethodField()
    pages = PageSerializer(many=True, read_only=True)
    paging = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = [
            *IncidentSerializer.Meta.fields,
            "description",
            "scope",
            "communications",
            "scribe",
            "stand_down_reason",
            "checklist",
            "affected",
            "pages",
            "paging",
        ]
        read_only_fields = fields

    @extend_schema_field(PagingSerializer(allow_null=True))
    def get_paging(self, incident: Incident) -> dict | None:
        run = selectors.incident_current_run(incident)
        return PagingSerializer(run).data if run is not None else None

    @extend_schema_field(AffectedSerializer)
    def get_affected(self, incident: Incident) -> dict:
        return selectors.incident_affected(incident)


class IncidentEventSerializer(CaseEventSerializer):
    class Meta(CaseEventSerializer.Meta):
        model = IncidentEvent


class IncidentAttachmentSerializer(CaseAttachmentSerializer):
    url_name = "incident-attachment"

    class Meta(CaseAttachmentSerializer.Meta):
        model = IncidentAttachment


class ScopeSerializer(serializers.Serializer):
    """The scope's shape for the schema; ``emergency.actions.clean_scope`` checks it in the service."""

    models = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    serial_from = serializers.CharField(max_length=60, required=False)
    serial_to = serializers.CharField(max_length=60, required=False)
    sold_from = serializers.DateField(required=False)
    sold_to = serializers.DateField(required=False)
    regions = serializers.ListField(child=serializers.CharField(max_length=40), required=False)


class IncidentCreateSerializer(serializers.Serializer):
    incident_type = serializers.ChoiceField(choices=IncidentType.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=MAX_TEXT)
    drill = serializers.BooleanField(required=False, default=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, default=Channel.PHONE)
    scope = serializers.DictField(required=False, default=dict)


class NotifyCustomersSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=MAX_TEXT, help_text="the text every affected customer receives")


class NotifiedSerializer(serializers.Serializer):
    customers = serializers.IntegerField(help_text="customers the notice is for (each messaged once)")
    messages = serializers.IntegerField(help_text="messages written by this request (0 for a drill or a retry)")
    drill = serializers.BooleanField()
    notice = serializers.IntegerField()
    detail = serializers.CharField(allow_blank=True)


class AcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


class AcknowledgedSerializer(serializers.Serializer):
    number = serializers.CharField()
    paging = PagingSerializer(source="run")


class ChecklistDoneSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True, default="")


class IncidentFilterSerializer(CaseFilterSerializer):
    status = StatusListField(statuses=Status.values, open_statuses=OPEN_STATUSES, required=False)
    incident_type = serializers.ChoiceField(choices=IncidentType.choices, required=False)
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    drill = serializers.BooleanField(required=False, allow_null=True, default=None)
