"""Staff admin of spare parts: the catalogue and warehouses (written through the services), stock
balances (read-only: they are the sum of the movements), the movement log (append-only: the add page
books a movement through ``stock_move``, nothing is ever changed or deleted) and transfers (received
by an admin action through ``stock_transfer_receive``)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from aftersales.core.admin import ReadOnlyAdminMixin
from warranty.admin_service import ServiceModelAdmin

from . import services
from .models import MovementKind, Part, StockBalance, StockMovement, Transfer, TransferStatus, Warehouse
from .permissions import MOVE


@admin.register(Part)
class PartAdmin(ServiceModelAdmin):
    list_display = ["sku", "name", "product_model", "component", "serial_tracked", "price", "is_active"]
    list_filter = ["is_active", "serial_tracked", "product_model__category"]
    list_select_related = ["product_model", "component"]
    search_fields = ["sku", "name", "product_model__code"]
    autocomplete_fields = ["product_model"]

    def get_readonly_fields(self, request, obj=None):
        # Movements, balances and tickets name a part by its number and model.
        return ["sku", "product_model"] if obj is not None else []

    def write(self, request, form, formsets, change):
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data}
            return services.part_update(actor=request.user, part=form.instance, data=data)
        return services.part_create(actor=request.user, **form.cleaned_data)


@admin.register(Warehouse)
class WarehouseAdmin(ServiceModelAdmin):
    list_display = ["code", "name", "tier", "region", "owner"]
    list_filter = ["tier", "region"]
    list_select_related = ["region", "owner"]
    search_fields = ["code", "name", "owner__username"]

    def get_readonly_fields(self, request, obj=None):
        return ["code", "tier"] if obj is not None else []

    def write(self, request, form, formsets, change):
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data}
            return services.warehouse_update(actor=request.user, warehouse=form.instance, data=data)
        return services.warehouse_create(actor=request.user, **form.cleaned_data)


class LowStockFilter(admin.SimpleListFilter):
    title = _("low stock")
    parameter_name = "low"

    def lookups(self, request, model_admin):
        return [("yes", _("below the reorder point"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(on_hand__lt=F("reserved") + F("reorder_point"))
        return queryset


@admin.register(StockBalance)
class StockBalanceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["part", "warehouse", "on_hand", "reserved", "available", "reorder_point"]
    list_filter = [LowStockFilter, "warehouse__tier", "warehouse__region", "warehouse"]
    list_select_related = ["part", "warehouse"]
    search_fields = ["part__sku", "part__name", "warehouse__code"]

    @admin.display(description=_("available"))
    def available(self, balance: StockBalance) -> int:
        return balance.available


class StockMovementForm(forms.ModelForm):
    kind = forms.ChoiceField(
        label=_("kind"),
        choices=[
            (value, label)
            for value, label in MovementKind.choices
            if value not in (MovementKind.TRANSFER_IN, MovementKind.TRANSFER_OUT)
        ],
    )

    class Meta:
        model = StockMovement
        fields = ["warehouse", "part", "kind", "quantity", "reason", "ticket_reference"]


@admin.register(StockMovement)
class StockMovementAdmin(ServiceModelAdmin):
    """The log as written; the add page books one movement through ``stock_move``."""

    form = StockMovementForm
    list_display = ["created_at", "kind", "quantity", "part", "warehouse", "actor", "ticket_reference", "reason"]
    list_filter = ["kind", "warehouse__tier", "warehouse"]
    list_select_related = ["part", "warehouse", "actor"]
    search_fields = ["part__sku", "warehouse__code", "ticket_reference", "reason"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm(MOVE)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def write(self, request, form, formsets, change):
        try:
            return services.stock_move(actor=request.user, **form.cleaned_data)
        except PermissionDenied as error:
            raise ValidationError(str(error)) from error


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "part", "source", "destination", "quantity", "status"]
    list_filter = ["status"]
    list_select_related = ["part", "source", "destination"]
    search_fields = ["part__sku", "source__code", "destination__code"]
    actions = ["receive"]

    @admin.action(description=_("Receive the selected transfers"), permissions=["receive"])
    def receive(self, request, queryset):
        received = 0
        for transfer in queryset.filter(status=TransferStatus.IN_TRANSIT):
            try:
                services.stock_transfer_receive(actor=request.user, transfer=transfer)
            except (PermissionDenied, ValidationError) as error:
                self.message_user(
                    request, f"{transfer}: {' '.join(getattr(error, 'messages', [str(error)]))}", messages.ERROR
                )
            else:
                received += 1
        if received:
            self.message_user(
                request, ngettext("%(n)d transfer received.", "%(n)d transfers received.", received) % {"n": received}
            )

    def has_receive_permission(self, request):
        return request.user.has_perm(MOVE)
