"""Query parameters and answers of the KPI API."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..periods import MAX_BUCKETS, MAX_DAYS, Period, buckets
from ..registry import DIMENSIONS


class KpiQuerySerializer(serializers.Serializer):
    """``from``/``to`` are local days (Asia/Shanghai), both included; the default is this month so far."""

    from_ = serializers.DateField(required=False, help_text=_("First day (local), YYYY-MM-DD."))
    to = serializers.DateField(required=False, help_text=_("Last day (local, included), YYYY-MM-DD."))
    region = serializers.CharField(required=False, max_length=64)
    model = serializers.CharField(required=False, max_length=64)
    technician = serializers.CharField(required=False, max_length=150)
    channel = serializers.CharField(required=False, max_length=30)
    type = serializers.CharField(required=False, max_length=40)
    priority = serializers.CharField(required=False, max_length=20)
    tier = serializers.CharField(required=False, max_length=20)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs):
        today = timezone.localdate()
        first = attrs.get("from") or today.replace(day=1)
        last = attrs.get("to") or max(today, first)
        if last < first:
            raise serializers.ValidationError({"to": [_("The last day is before the first.")]}, code="invalid_range")
        if (last - first).days + 1 > MAX_DAYS:
            raise serializers.ValidationError(
                {"to": [_("Ask for at most %(days)d days at a time.") % {"days": MAX_DAYS}]}, code="range_too_long"
            )
        attrs["period"] = Period(first, last)
        attrs["filters"] = {name: attrs[name] for name in DIMENSIONS if attrs.get(name)}
        return attrs


class KpiSummaryQuerySerializer(KpiQuerySerializer):
    group_by = serializers.ChoiceField(choices=DIMENSIONS, required=False)


class KpiSeriesQuerySerializer(KpiQuerySerializer):
    interval = serializers.ChoiceField(choices=("day", "week", "month"), required=False, default="month")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if len(buckets(attrs["period"], attrs["interval"])) > MAX_BUCKETS:
            raise serializers.ValidationError(
                {"interval": [_("Too many points: choose a longer interval or a shorter range.")]},
                code="too_many_points",
            )
        return attrs


class FigureFields(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text=_("null: no record in the period (no data)"))
    count = serializers.IntegerField(help_text=_("records behind the value"))
    met = serializers.BooleanField(allow_null=True)
    median = serializers.FloatField(allow_null=True, required=False)
    p90 = serializers.FloatField(allow_null=True, required=False)


class GroupSerializer(FigureFields):
    group = serializers.CharField(allow_null=True)


class MetricSerializer(FigureFields):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    target = serializers.FloatField(allow_null=True)
    direction = serializers.CharField()
    applicable = serializers.BooleanField(help_text=_("false: a filter does not apply to this metric"))
    groups = GroupSerializer(many=True, required=False)


class SummarySerializer(serializers.Serializer):
    metrics = MetricSerializer(many=True)
    from_ = serializers.DateField()
    to = serializers.DateField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class SeriesPointSerializer(serializers.Serializer):
    from_ = serializers.DateField()
    to = serializers.DateField()
    value = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()
    target = serializers.FloatField(allow_null=True)
    met = serializers.BooleanField(allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class SeriesSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    interval = serializers.CharField()
    points = SeriesPointSerializer(many=True)


class RecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField(allow_null=True, help_text=_("when the record counts"))
    value = serializers.FloatField(allow_null=True, help_text=_("its value (1/0 for a rate)"))
    fields = serializers.DictField(help_text=_("the metric's columns (number, dates, …)"))


class RecordPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RecordSerializer(many=True)
