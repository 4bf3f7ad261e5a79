"""Managers edit the KPI targets here; supervisors read them."""

from django import forms
from django.contrib import admin

from .models import KpiReport, KpiTarget
from .registry import metrics_in_order


class KpiTargetForm(forms.ModelForm):
    metric = forms.ChoiceField(choices=())

    class Meta:
        model = KpiTarget
        fields = ["metric", "region", "valid_from", "valid_until", "value", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = [
            (metric.key, f"{metric.label} ({metric.key})") for metric in metrics_in_order()
        ]


@admin.register(KpiTarget)
class KpiTargetAdmin(admin.ModelAdmin):
    form = KpiTargetForm
    list_display = ["metric", "region", "valid_from", "valid_until", "value", "updated_by", "updated_at"]
    list_filter = ["metric", "region"]
    list_select_related = ["region", "updated_by"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(KpiReport)
class KpiReportAdmin(admin.ModelAdmin):
    """The archive, read-only: a report stays as it was sent (the dashboard's /kpi/reports/ too)."""

    list_display = ["kind", "period_first", "period_last", "generated_at"]
    list_filter = ["kind"]
    readonly_fields = ["kind", "period_first", "period_last", "generated_at", "content", "files", "recipients"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
