from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import BusinessCalendar, Customer, Region, SlaClock, WorkingPeriod
from ..privacy import customer_privacy
from ..services import clean_phone
from .reading import PlannedRepresentation


class CustomerSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), required=False, allow_null=True
    )
    # Declared by hand: the model field's validators would run on the number as typed, before
    # validate_phone normalises it, and reject "138 0013-8000". They run after normalising instead.
    phone = serializers.CharField(max_length=50)

    class Meta:
        model = Customer
        fields = ["id", "name", "phone", "email", "address", "region", "tier", "language", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_phone(self, value: str) -> str:
        return clean_phone(value)

    def to_representation(self, instance):
        # Masked or hidden per field and role, as everywhere a customer is shown (core/privacy.py).
        return customer_privacy(self.context["request"].user).apply(super().to_representation(instance))


class SlaClockSerializer(PlannedRepresentation, serializers.ModelSerializer):
    """The ``sla`` entries of tickets, complaints and incidents (CONTRACT.md §4)."""

    class Meta:
        model = SlaClock
        fields = ["name", "due_at", "met_at", "paused_seconds", "state", "breached_at"]


# One instance for every row of every page: building a serializer's fields costs more than using them.
_CLOCK_SERIALIZER = SlaClockSerializer()


def sla_representation(clocks) -> list[dict]:
    """The ``sla`` list of a case, as ``SlaClockSerializer(many=True)`` would give it, cheaply."""
    return [_CLOCK_SERIALIZER.to_representation(clock) for clock in clocks]


class WorkingPeriodSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkingPeriod
        fields = ["weekday", "start", "end"]


class BusinessCalendarSerializer(serializers.ModelSerializer):
    working_periods = WorkingPeriodSerializer(many=True, read_only=True)

    class Meta:
        model = BusinessCalendar
        fields = ["code", "name", "timezone", "always_open", "working_periods"]


class StatusListField(serializers.Field):
    """A list filter: ``status=a`` or ``status=a,b``; ``open`` stands for every open status."""

    default_error_messages = {"invalid": _("Give statuses separated by commas.")}

    def __init__(self, *, statuses, open_statuses, **kwargs):
        self.statuses, self.open_statuses = list(statuses), sorted(open_statuses)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        chosen: list[str] = []
        for value in (value.strip() for value in data.split(",") if value.strip()):
            if value == "open":
                chosen.extend(self.open_statuses)
            elif value in self.statuses:
                chosen.append(value)
            else:
                raise serializers.ValidationError(_("Unknown status %(value)r.") % {"value": value[:40]})
        return chosen


class ChoiceLabelField(serializers.CharField):
    """The translated label of a choice field's value, read from a map built once.

    ``get_FOO_display()`` rebuilds a dict of all choices on every call; on a page of 50 cases with
    two labels each that alone was a fifth of a list request's time.
    """

    def __init__(self, choices, **kwargs):
        self.labels = dict(choices)
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, value):
        return str(self.labels.get(value, value))
