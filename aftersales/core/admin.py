import functools
from datetime import date

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

from .calendars.services import calendar_fill_public_holidays, calendar_touch
from .lockout import lockout_message, lockout_remaining
from .models import (
    AuditEvent,
    BusinessCalendar,
    CalendarDay,
    ClockEvent,
    Customer,
    DeliveryAttempt,
    OutboxMessage,
    Region,
    SlaClock,
    UnreachedBreach,
    WorkingPeriod,
)
from .outbox.services import outbox_retry
from .privacy import CUSTOMER_FIELDS, CustomerPrivacy, Shown, customer_privacy
from .selectors import customers_visible_to
from .services import clean_phone, customer_create, customer_update
from .sla.services import ACKNOWLEDGE_UNREACHED, unreached_breach_acknowledge

admin.site.site_header = _("After-sales service")
admin.site.site_title = _("After-sales service")
admin.site.index_title = _("Service desk")
# The start page shows each person their own work first (core.workspace), then the usual app list.
admin.site.index_template = "admin/workspace_index.html"


class LockoutAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin login form, saying plainly when the username or address is locked out."""

    def get_invalid_login_error(self):
        remaining = lockout_remaining(self.request, username=self.cleaned_data.get("username"))
        if remaining:
            return forms.ValidationError(lockout_message(remaining), code="locked_out")
        return super().get_invalid_login_error()


admin.site.login_form = LockoutAdminAuthenticationForm


class ReadOnlyAdminMixin:
    """Event and delivery rows are written by services only; the admin shows them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = ["name", "phone", "email", "address", "region", "tier", "language", "portal_user"]

    def clean_phone(self):
        # Accept the number however it was typed ("138 0013-8000"), then check the stored form.
        return clean_phone(self.cleaned_data["phone"])


@functools.cache
def policy_column(policy: CustomerPrivacy, field: str):
    """A read-only admin column or field showing ``field`` as ``policy`` allows (masked, or "-").

    One callable per policy and field: the change form tells read-only fields by identity.
    """

    @admin.display(description=getattr(Customer._meta.get_field(field), "verbose_name", field))
    def column(customer):
        return policy.value(field, getattr(customer, field)) or "-"

    column.__name__ = f"{field}_{policy.audience}"
    return column


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerForm
    list_filter = ["tier", "region"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]
    raw_id_fields = ["portal_user"]

    def _as_shown(self, request, fields: list[str]) -> list:
        """Fields the user sees in full stay editable; the others become the policy's read-only value."""
        policy = customer_privacy(request.user)
        return [
            policy_column(policy, field) if field in CUSTOMER_FIELDS and policy.shows(field) != Shown.SHOWN else field
            for field in fields
        ]

    def get_queryset(self, request):
        # The same least-privilege rule as the API: a technician sees their own tickets' customers.
        return super().get_queryset(request).filter(pk__in=customers_visible_to(request.user).values("pk"))

    def get_list_display(self, request):
        return self._as_shown(request, ["name", "phone", "email", "region", "tier", "created_at"])

    def get_search_fields(self, request):
        # Only what the user sees in full: a search answer would confirm a masked value's guesses.
        return customer_privacy(request.user).admin_search_fields(["name", "email", "phone"])

    def get_fields(self, request, obj=None):
        return self._as_shown(
            request, ["name", "phone", "email", "address", "region", "tier", "language", "portal_user"]
        )

    def get_readonly_fields(self, request, obj=None):
        policy = customer_privacy(request.user)
        return [policy_column(policy, field) for field in CUSTOMER_FIELDS if policy.shows(field) != Shown.SHOWN]

    def save_model(self, request, obj, form, change):
        if change:
            saved = customer_update(customer=obj, **{name: form.cleaned_data[name] for name in form.changed_data})
        else:
            saved = customer_create(**form.cleaned_data)
        # The admin goes on with ``obj`` (redirect, log entry, popup): give it the saved state.
        vars(obj).update(vars(saved))


class WorkingPeriodInline(admin.TabularInline):
    model = WorkingPeriod
    extra = 0


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 0
    fields = ["date", "kind", "name", "works_as", "imported"]
    readonly_fields = ["imported"]
    ordering = ["-date"]


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "timezone", "always_open", "updated_at"]
    inlines = [WorkingPeriodInline, CalendarDayInline]
    actions = ["fill_holidays_this_year", "fill_holidays_next_year"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        calendar_touch(calendar=form.instance)  # inline edits change the calendar's working time

    def _fill(self, request, queryset, year: int) -> None:
        for calendar in queryset:
            result = calendar_fill_public_holidays(calendar=calendar, year=year)
            self.message_user(
                request,
                _("%(calendar)s: %(holidays)d holidays and %(workdays)d make-up days for %(year)d.")
                % {"calendar": calendar, "holidays": result.holidays, "workdays": result.workdays, "year": year},
                messages.SUCCESS,
            )

    @admin.action(description=_("Fill Chinese public holidays and make-up days for this year"))
    def fill_holidays_this_year(self, request, queryset):
        self._fill(request, queryset, date.today().year)

    @admin.action(description=_("Fill Chinese public holidays and make-up days for next year"))
    def fill_holidays_next_year(self, request, queryset):
        self._fill(request, queryset, date.today().year + 1)


class ClockEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ClockEvent
    fields = ["kind", "threshold", "occurred_at", "recorded_at", "consumed_seconds", "actor", "note"]
    readonly_fields = ["kind", "threshold", "occurred_at", "recorded_at", "consumed_seconds", "actor", "note"]
    extra = 0


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "content_type", "object_id", "name", "cycle", "state", "due_at", "breached_at", "met_at"]
    list_filter = ["state", "name", "content_type"]
    list_select_related = ["content_type"]
    inlines = [ClockEventInline]
    date_hierarchy = "started_at"


class DeliveryAttemptInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DeliveryAttempt
    fields = ["number", "started_at", "finished_at", "succeeded", "error", "provider_reference"]
    readonly_fields = ["number", "started_at", "finished_at", "succeeded", "error", "provider_reference"]
    extra = 0


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "channel", "recipient", "template", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "channel", "template"]
    search_fields = ["key", "recipient"]
    inlines = [DeliveryAttemptInline]
    actions = ["retry_failed"]

    @admin.action(description=_("Retry delivery of the selected failed messages"), permissions=["view"])
    def retry_failed(self, request, queryset):
        count = outbox_retry(message_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, _("%(count)d message(s) queued again.") % {"count": count}, messages.SUCCESS)


@admin.register(UnreachedBreach)
class UnreachedBreachAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Breaches nobody was told about (no member on their rung, above it or among the administrators)."""

    list_display = ["occurred_at", "clock", "subject", "rung", "escalation_level", "acknowledged_at", "acknowledged_by"]
    list_filter = [("acknowledged_at", admin.EmptyFieldListFilter), "rung"]
    list_select_related = ["clock__content_type", "acknowledged_by"]
    date_hierarchy = "occurred_at"
    actions = ["acknowledge"]

    @admin.display(description=_("subject"))
    def subject(self, breach):
        return f"{breach.clock.content_type.name} #{breach.clock.object_id}"

    def has_acknowledge_permission(self, request):
        return request.user.has_perm(ACKNOWLEDGE_UNREACHED)

    @admin.action(description=_("Acknowledge the selected breaches"), permissions=["acknowledge"])
    def acknowledge(self, request, queryset):
        count = unreached_breach_acknowledge(actor=request.user, breach_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, _("%(count)d breach(es) acknowledged.") % {"count": count}, messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the table is append-only in the database as well. Superusers and managers."""

    list_display = ["occurred_at", "action", "username", "ip_address", "channel", "path", "object_type", "object_id"]
    list_filter = ["action", "channel"]
    search_fields = ["username", "ip_address", "path", "object_id"]
    date_hierarchy = "occurred_at"
    fields = [
        "occurred_at",
        "action",
        "actor_id",
        "username",
        "ip_address",
        "channel",
        "path",
        "object_type",
        "object_id",
        "details",
    ]
    readonly_fields = [
        "occurred_at",
        "action",
        "actor_id",
        "username",
        "ip_address",
        "channel",
        "path",
        "object_type",
        "object_id",
        "details",
    ]
    show_full_result_count = False  # the table only grows; counting it on every page is waste


from . import admin_tokens  # noqa: E402, F401 - registers the API tokens' pages
