"""Staff admin of the warranty app: catalogue, policies, registered units, decisions, quotes, approvals.

Writes that have a service go through it (new policy versions, unit registration, proofs, extended
contracts, quote answers, replacement requests and approvals); decisions and quote lines are
read-only records. Every list page selects its related rows up front, so its cost does not grow
with the number of rows shown.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import date, timedelta

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from aftersales.core.admin import ReadOnlyAdminMixin

from . import admin_selectors, selectors, services
from .admin_service import ServiceModelAdmin, editable_inline, inline_rows
from .choices import Charge, FaultCause
from .forms import (
    ComponentChoiceField,
    ComponentWarrantyInlineFormSet,
    ExtendedWarrantyInlineForm,
    PolicyAdminForm,
    SpecialReplacementForm,
    UnitAdminForm,
)
from .models import (
    Component,
    ComponentWarranty,
    EntitlementDecision,
    ExtendedWarranty,
    ProductCategory,
    ProductModel,
    Quote,
    QuoteLine,
    RegisteredUnit,
    SpecialReplacement,
    WarrantyChange,
    WarrantyPolicy,
)
from .periods import last_covered_day

logger = logging.getLogger(__name__)

# The bulk import's pages (warranty/admin_import.py) are optional. Imported here, while the admin
# is autodiscovered, because the module registers its own ModelAdmin: doing it later, from
# get_urls(), would change the admin registry while the site iterates over it.
try:
    from . import admin_import
except ImportError as error:
    if getattr(error, "name", None) != f"{__package__}.admin_import":
        logger.warning("The unit import pages are disabled: %s", error)
    admin_import = None


# --- catalogue ------------------------------------------------------------------------------


@admin.register(ProductCategory)
class ProductCategoryAdmin(ServiceModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]

    def write(self, request, form, formsets, change):
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data}
            return services.product_category_update(category=form.instance, data=data, actor=request.user)
        return services.product_category_create(**form.cleaned_data, actor=request.user)


class ComponentInline(admin.TabularInline):
    model = Component
    fields = ["code", "name"]
    extra = 0


@admin.register(ProductModel)
class ProductModelAdmin(ServiceModelAdmin):
    """The catalogue's models with their components, written by ``services.product_model_*``."""

    list_display = ["code", "name", "category", "kind", "serial_case_sensitive", "is_active"]
    list_filter = ["category", "kind", "is_active"]
    list_select_related = ["category"]
    search_fields = ["code", "name"]
    inlines = [ComponentInline]

    def get_readonly_fields(self, request, obj=None):
        # Units, policies, imports and stored decisions name the model by its code.
        return ["code"] if obj is not None else []

    def write(self, request, form, formsets, change):
        components = None
        if (formset := editable_inline(formsets, Component, "code")) is not None:
            components = [
                services.ComponentSpec(code=row.cleaned_data["code"], name=row.cleaned_data["name"], id=row.instance.pk)
                for row in inline_rows(formset)
            ]
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data}
            return services.product_model_update(
                product_model=form.instance, data=data, components=components, actor=request.user
            )
        return services.product_model_create(**form.cleaned_data, components=components or (), actor=request.user)


class ComponentWarrantyInline(admin.TabularInline):
    model = ComponentWarranty
    formset = ComponentWarrantyInlineFormSet
    fields = ["component", "months", "covers_parts", "covers_labour", "covers_travel"]
    extra = 0

    def get_formset(self, request, obj=None, **kwargs):
        # formfield_for_foreignkey has no access to the policy; offer only its model's components.
        request._warranty_policy_model_id = obj.product_model_id if obj is not None else None
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "component":
            components = Component.objects.select_related("product_model").order_by("product_model__code", "code")
            model_id = getattr(request, "_warranty_policy_model_id", None)
            kwargs["queryset"] = components.filter(product_model_id=model_id) if model_id else components
            kwargs["form_class"] = ComponentChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _component_periods(formsets) -> list[services.ComponentPeriod] | None:
    """The component periods the policy page's inline holds; None where the user may not edit them."""
    formset = editable_inline(formsets, ComponentWarranty, "component")
    if formset is None:
        return None
    return [
        services.ComponentPeriod(
            component=row.cleaned_data["component"],
            months=row.cleaned_data["months"],
            covers_parts=row.cleaned_data["covers_parts"],
            covers_labour=row.cleaned_data["covers_labour"],
            covers_travel=row.cleaned_data["covers_travel"],
        )
        for row in inline_rows(formset)
    ]


@admin.register(WarrantyPolicy)
class WarrantyPolicyAdmin(ServiceModelAdmin):
    """Policy versions with their component periods. A new version is numbered by
    ``services.policy_create``; the model, number and effective date of an existing version are fixed,
    since units bought since then keep it for life; a correction of its terms is logged
    (``services.policy_update``)."""

    form = PolicyAdminForm
    list_display = ["product_model", "version", "effective_from", "base_months", "service_mode", "created_at"]
    list_filter = ["product_model__category", "product_model", "service_mode"]
    list_select_related = ["product_model"]
    search_fields = ["product_model__code", "product_model__name"]
    ordering = ["product_model__code", "-effective_from"]
    inlines = [ComponentWarrantyInline]

    def get_readonly_fields(self, request, obj=None):
        return ["product_model", "version", "effective_from", "created_at", "change_history"] if obj else []

    def get_fields(self, request, obj=None):
        fields = list(PolicyAdminForm.Meta.fields)
        if obj is None:
            return fields
        history = ["change_history"] if request.user.has_perm("warranty.view_warrantychange") else []
        return ["product_model", "version", "effective_from", *fields[2:], "created_at", *history]

    @admin.display(description=_("changes"))
    def change_history(self, policy):
        return _change_history(
            WarrantyChange.objects.filter(subject=WarrantyChange.Subject.POLICY, object_id=policy.pk)
        )

    def write(self, request, form, formsets, change):
        periods = _component_periods(formsets)
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data}
            return services.policy_update(
                policy=form.instance, data=data, component_warranties=periods, actor=request.user
            )
        terms = {name: form.cleaned_data[name] for name in PolicyAdminForm.Meta.fields if name in form.cleaned_data}
        return services.policy_create(**terms, component_warranties=periods or (), actor=request.user)


# --- registered units -------------------------------------------------------------------------


class WarrantyStatusFilter(admin.SimpleListFilter):
    """In or out of warranty today, computed in SQL from each policy version's purchase-date window."""

    title = _("warranty status")
    parameter_name = "warranty"

    def lookups(self, request, model_admin):
        return [
            ("in", _("In warranty today")),
            ("out", _("Out of warranty today")),
            ("component", _("Only a component warranty left")),
            ("expiring30", _("Expiring in 30 days")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "in":
            return queryset.filter(admin_selectors.in_warranty_condition(today=today))
        if self.value() == "out":
            return queryset.exclude(admin_selectors.in_warranty_condition(today=today))
        if self.value() == "component":
            return queryset.filter(admin_selectors.component_only_condition(today=today))
        if self.value() == "expiring30":
            return queryset.filter(pk__in=selectors.units_expiring(today=today, days=30).values("pk"))
        return queryset


def _month_start(day: date, offset: int) -> date:
    index = day.year * 12 + day.month - 1 + offset
    return date(index // 12, index % 12 + 1, 1)


class ExpiryMonthFilter(admin.SimpleListFilter):
    """The month in which the base warranty ends (renewal offers, reminder campaigns)."""

    title = _("base warranty ends in")
    parameter_name = "expires"
    months_before, months_after = 3, 12

    def lookups(self, request, model_admin):
        this_month = _month_start(timezone.localdate(), 0)
        return [
            (month.strftime("%Y-%m"), formats.date_format(month, "YEAR_MONTH_FORMAT"))
            for month in (
                _month_start(this_month, offset) for offset in range(-self.months_before, self.months_after + 1)
            )
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            first = date.fromisoformat(f"{self.value()}-01")
        except ValueError as error:
            raise IncorrectLookupParameters(error) from error
        last = _month_start(first, 1) - timedelta(days=1)
        return queryset.filter(admin_selectors.base_expiry_condition(first=first, last=last))


class ExtendedWarrantyInline(admin.TabularInline):
    """Contracts are added through ``services.extended_warranty_add``; existing ones are read-only."""

    model = ExtendedWarranty
    form = ExtendedWarrantyInlineForm
    fields = ["reference", "starts_on", "ends_on", "covers_parts", "covers_labour", "covers_travel", "price"]
    extra = 0

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class UnitChangeList(ChangeList):
    """The unit list's rows, each with its owner as the viewing user may see them."""

    def get_results(self, request):
        super().get_results(request)
        for unit in self.result_list:
            unit.owner_shown = selectors.unit_owner(unit, request.user)


@admin.register(RegisteredUnit)
class RegisteredUnitAdmin(ServiceModelAdmin):
    form = UnitAdminForm
    change_list_template = "admin/warranty/unit_change_list.html"
    list_display = [
        "serial",
        "product_model",
        "customer_name",
        "customer_phone",
        "purchase_date",
        "base_warranty_until",
        "in_warranty_today",
        "sales_channel",
    ]
    list_filter = ["product_model", WarrantyStatusFilter, ExpiryMonthFilter, "sales_channel"]
    list_select_related = ["product_model", "customer__region"]
    search_fields = ["serial"]
    search_help_text = _("The start of a serial number, or (if you may see contact details) a phone number.")
    raw_id_fields = ["customer"]
    inlines = [ExtendedWarrantyInline]
    add_fields = ["serial", "product_model", "customer", "purchase_date", "sales_channel", "install_date"]
    # Serial and model are the unit itself; the purchase date decides the policy version and every
    # period, so only an administrator corrects it (services.unit_update logs the correction).
    fixed_fields = ["serial", "product_model", "purchase_date", "created_at"]

    # - list -
    # The owner is shown, masked and searched by the API's rule (selectors.unit_owner,
    # selectors.unit_search_condition): hidden where the user may not see the customer.

    def get_queryset(self, request):
        today = timezone.localdate()
        units = selectors.with_owner_visibility(super().get_queryset(request), request.user)
        return units.prefetch_related(
            Prefetch("product_model__policies", queryset=WarrantyPolicy.objects.order_by("effective_from")),
            Prefetch(
                "extended_warranties",
                queryset=ExtendedWarranty.objects.filter(starts_on__lte=today, ends_on__gte=today),
                to_attr="contracts_in_force",
            ),
        )

    def get_changelist(self, request, **kwargs):
        return UnitChangeList

    def get_object(self, request, object_id, from_field=None):
        unit = super().get_object(request, object_id, from_field)
        if unit is not None:
            unit.owner_shown = selectors.unit_owner(unit, request.user)
        return unit

    def lookup_allowed(self, lookup, value, request=None):
        # The page filters by no owner; a hand-made ?customer=… would list the units of a customer the
        # user may not see.
        if lookup.split("__", 1)[0] == "customer":
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.replace("\x00", "").strip()[:100]
        if not term:
            return queryset, False
        return queryset.filter(selectors.unit_search_condition(term, request.user)), False

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if request.user.has_perm("warranty.add_registeredunit"):
            with contextlib.suppress(NoReverseMatch):  # the import pages are not installed
                extra_context["import_url"] = reverse(f"{self.admin_site.name}:warranty_unit_import")
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("customer"))
    def customer_name(self, unit):
        owner = getattr(unit, "owner_shown", None)
        return owner["name"] if owner else "-"

    @admin.display(description=_("phone"))
    def customer_phone(self, unit):
        owner = getattr(unit, "owner_shown", None)
        return owner["phone"] if owner else "-"

    @admin.display(description=_("customer"))
    def owner(self, unit):
        owner = getattr(unit, "owner_shown", None)
        return f"{owner['name']} {owner['phone']}" if owner else "-"

    def _policy(self, unit):
        return admin_selectors.policy_from_prefetched(unit.product_model.policies.all(), unit.purchase_date)

    @admin.display(description=_("base warranty until"))
    def base_warranty_until(self, unit):
        return admin_selectors.base_warranty_until(unit.purchase_date, self._policy(unit)) or "-"

    @admin.display(description=_("in warranty today"), boolean=True)
    def in_warranty_today(self, unit):
        until = admin_selectors.base_warranty_until(unit.purchase_date, self._policy(unit))
        in_base = until is not None and unit.purchase_date <= timezone.localdate() <= until
        return in_base or bool(getattr(unit, "contracts_in_force", None))

    # - form -

    def get_fields(self, request, obj=None):
        if obj is None:
            return [*self.add_fields, "proof_of_purchase"]
        # Who may change the unit and see its owner edits the owner; anyone else reads it as allowed.
        may_edit_owner = self.has_change_permission(request, obj) and (
            obj.customer_id is None or getattr(obj, "owner_shown", None) is not None
        )
        owner = "customer" if may_edit_owner else "owner"
        return [*self.fixed_fields[:3], owner, "sales_channel", "install_date", "proof_of_purchase", "created_at"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(None, {"fields": self.get_fields(request, obj)})]
        if obj is not None:
            fieldsets.append((_("Warranty today"), {"fields": ["entitlement_today"]}))
            if request.user.has_perm("warranty.view_warrantychange"):
                fieldsets.append((_("Changes"), {"fields": ["change_history"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        fixed = [name for name in self.fixed_fields if name != "purchase_date" or not request.user.is_superuser]
        return [*fixed, "owner", "entitlement_today", "change_history"]

    @admin.display(description=_("changes"))
    def change_history(self, unit):
        return _change_history(WarrantyChange.objects.filter(unit_id=unit.pk))

    def write(self, request, form, formsets, change):
        formset = editable_inline(formsets, ExtendedWarranty, "reference")
        contracts = [
            services.Contract(**{name: row.cleaned_data[name] for name in ExtendedWarrantyInline.fields})
            for row in (inline_rows(formset) if formset is not None else [])
            if row.instance.pk is None  # existing contracts are read-only here
        ]
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data}
            if "proof_of_purchase" in data:
                data["proof_of_purchase"] = data["proof_of_purchase"] or ""  # False: "clear" was ticked
            return services.unit_update(unit=form.instance, data=data, contracts=contracts, actor=request.user)
        fields = {name: form.cleaned_data.get(name) for name in self.add_fields}
        return services.unit_register(
            **fields,
            proof_of_purchase=form.cleaned_data.get("proof_of_purchase") or None,
            contracts=contracts,
            actor=request.user,
        )

    @admin.display(description=_("entitlement for a quality fault today"))
    def entitlement_today(self, unit):
        today = timezone.localdate()
        try:
            decision = services.warranty_decide(unit=unit, on_date=today)
        except ValidationError as error:
            return "; ".join(error.messages)
        policy = decision.policy
        components = []
        if policy is not None:
            for item in policy.component_warranties.all():
                until = last_covered_day(unit.purchase_date, item.months)
                components.append(
                    {
                        "name": item.component.name,
                        "months": item.months,
                        "until": until.isoformat(),
                        "ended": until < today,
                    }
                )
        return render_to_string(
            "admin/warranty/entitlement.html",
            {
                "entitlement": _entitlement_context(decision.entitlement.as_dict(translation.get_language())),
                "policy": policy,
                "on_date": today.isoformat(),
                "components": components,
            },
        )

    # - the import pages (warranty/admin_import.py), when present -

    def get_urls(self):
        urls = super().get_urls()
        import_urls = getattr(admin_import, "import_urls", None)
        return [*import_urls(self.admin_site), *urls] if import_urls else urls


ITEMS = [("parts", _("Parts")), ("labour", _("Labour")), ("travel", _("Travel"))]
SERVICE = [("on_site", _("On site")), ("mail_in", _("Mail-in"))]


def _entitlement_context(data: dict) -> dict:
    """An entitlement dict (live or stored) as rows for the explanation template."""
    charges = data.get("charges", {})
    covered = data.get("covered", {})
    return {
        **data,
        "rows": [
            {
                "label": label,
                "covered": covered.get(key),
                "charge": Charge(charges[key]).label if charges.get(key) in Charge.values else charges.get(key),
            }
            for key, label in ITEMS
        ],
        "service": [{"label": label, "available": covered.get(key)} for key, label in SERVICE],
    }


# --- records: decisions, quotes, special replacements, contracts ------------------------------


@admin.register(EntitlementDecision)
class EntitlementDecisionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "unit", "on_date", "fault_cause", "in_warranty", "policy_version", "decided_at", "decided_by"]
    list_filter = ["in_warranty"]
    list_select_related = ["unit", "decided_by"]
    search_fields = ["unit__serial"]
    date_hierarchy = "decided_at"
    fields = ["unit", "policy_version", "decided_at", "decided_by", "purpose", "inputs", "explanation"]
    readonly_fields = fields

    @admin.display(description=_("date"))
    def on_date(self, decision):
        return decision.inputs.get("on_date", "-")

    @admin.display(description=_("fault cause"))
    def fault_cause(self, decision):
        cause = decision.inputs.get("fault_cause")
        return FaultCause(cause).label if cause in FaultCause.values else cause or "-"

    @admin.display(description=_("explanation"))
    def explanation(self, decision):
        outputs = dict(decision.outputs)
        if translation.get_language().startswith("zh") and "reasons_zh_hans" in outputs:
            outputs["reasons"] = outputs["reasons_zh_hans"]
        return render_to_string(
            "admin/warranty/entitlement.html",
            {"entitlement": _entitlement_context(outputs), "stored": True, "on_date": decision.inputs.get("on_date")},
        )


class QuoteLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = QuoteLine
    fields = ["part_number", "description", "quantity", "unit_price", "charged_unit_price"]
    readonly_fields = fields
    extra = 0


@admin.register(Quote)
class QuoteAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Quotes are made on a ticket (or by ``services.quote_create`` over the API) and answered on it.

    The page shows a quote to whoever may see its ticket (``selectors.quotes_visible_to``). It records
    no answer: the customer's goes through the ticket (tracking link, or the ticket's action for a
    phone answer), which moves the ticket and its quote together.
    """

    list_display = ["id", "unit", "status", "total", "created_at", "created_by", "responded_at", "recorded_by"]
    list_filter = ["status"]
    list_select_related = ["unit", "created_by", "recorded_by"]
    search_fields = ["unit__serial"]
    inlines = [QuoteLineInline]
    fields = [
        "unit",
        "decision",
        "status",
        ("labour_hours", "labour_rate", "labour_amount"),
        "travel_amount",
        "parts_amount",
        "total",
        ("created_at", "created_by"),
        ("responded_at", "recorded_by"),
        "response_note",
    ]
    readonly_fields = [
        "unit",
        "decision",
        "status",
        "labour_hours",
        "labour_rate",
        "labour_amount",
        "travel_amount",
        "parts_amount",
        "total",
        "created_at",
        "created_by",
        "responded_at",
        "recorded_by",
        "response_note",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=selectors.quotes_visible_to(request.user).values("pk"))


@admin.register(SpecialReplacement)
class SpecialReplacementAdmin(ServiceModelAdmin):
    """Requests are made here or over the API; only holders of the approve permission decide them."""

    list_display = ["id", "unit", "status", "requested_by", "requested_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["unit", "requested_by", "decided_by"]
    search_fields = ["unit__serial"]
    form = SpecialReplacementForm
    raw_id_fields = ["unit", "decision"]
    actions = ["approve", "reject"]
    readonly_fields = ["status", "requested_by", "requested_at", "decided_by", "decided_at", "decision_note"]

    def get_fields(self, request, obj=None):
        return ["unit", "decision", "reason"] if obj is None else ["unit", "decision", "reason", *self.readonly_fields]

    def has_change_permission(self, request, obj=None):
        return False  # decided by the actions below, never by editing the row

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request):
        return request.user.has_perm(services.APPROVE_PERMISSION)

    def write(self, request, form, formsets, change):
        return services.special_replacement_request(
            unit=form.cleaned_data["unit"],
            reason=form.cleaned_data["reason"],
            decision=form.cleaned_data.get("decision"),
            actor=request.user,
        )

    def _decide(self, request, queryset, *, approve: bool) -> None:
        decided, refused = 0, []
        for replacement in queryset:
            try:
                services.special_replacement_decide(replacement=replacement, approve=approve, actor=request.user)
            except services.AlreadyAnswered:
                refused.append(_("#%(id)s was already decided.") % {"id": replacement.pk})
            except PermissionDenied as error:
                refused.append(f"#{replacement.pk}: {error}")
            else:
                decided += 1
        if decided:
            self.message_user(
                request,
                ngettext("%(count)d request decided.", "%(count)d requests decided.", decided) % {"count": decided},
                messages.SUCCESS,
            )
        for message in refused:
            self.message_user(request, message, messages.WARNING)

    @admin.action(description=_("Approve the selected replacements"), permissions=["approve"])
    def approve(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("Reject the selected replacements"), permissions=["approve"])
    def reject(self, request, queryset):
        self._decide(request, queryset, approve=False)


@admin.register(ExtendedWarranty)
class ExtendedWarrantyAdmin(ServiceModelAdmin):
    """Contracts, added and corrected through ``services.extended_warranty_*`` (logged)."""

    list_display = ["reference", "unit", "starts_on", "ends_on", "covers_parts", "covers_labour", "covers_travel"]
    list_select_related = ["unit"]
    search_fields = ["reference", "unit__serial"]
    raw_id_fields = ["unit"]
    date_hierarchy = "ends_on"

    def get_readonly_fields(self, request, obj=None):
        return ["unit"] if obj is not None else []  # a contract is for one unit

    def write(self, request, form, formsets, change):
        if change:
            data = {name: form.cleaned_data[name] for name in form.changed_data}
            return services.extended_warranty_update(contract=form.instance, data=data, actor=request.user)
        return services.extended_warranty_add(**form.cleaned_data, actor=request.user)


# --- the change log ---------------------------------------------------------------------------


def _value(value) -> str:
    return "—" if value in (None, "") else str(value)


def _change_lines(changes: dict) -> list[str]:
    lines = []
    for name, change in changes.items():
        if isinstance(change, dict) and set(change) <= {"from", "to"}:
            before = f"{_value(change['from'])} → " if "from" in change else ""
            lines.append(f"{name}: {before}{_value(change.get('to'))}")
        else:  # components, component periods: nested changes
            lines.append(f"{name}: {change}")
    return lines


def _who(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else "—"


def _change_history(changes) -> str:
    """A subject's logged changes, newest first, as a small table for its admin page."""
    rows = [
        (
            formats.date_format(timezone.localtime(change.changed_at), "SHORT_DATETIME_FORMAT"),
            change.get_action_display(),
            _who(change.actor),
            "; ".join(_change_lines(change.changes)),
        )
        for change in changes.select_related("actor")[:50]
    ]
    if not rows:
        return "—"
    body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
    return format_html("<table>{}</table>", body)


@admin.register(WarrantyChange)
class WarrantyChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who changed the catalogue, a policy, a unit or a contract, when, from what to what (REQUIREMENTS §9)."""

    list_display = ["changed_at", "subject", "label", "action", "actor", "summary"]
    list_filter = ["subject", "action"]
    list_select_related = ["actor"]
    search_fields = ["label"]
    date_hierarchy = "changed_at"
    fields = ["changed_at", "subject", "object_id", "label", "unit_id", "action", "actor", "summary"]
    readonly_fields = fields

    @admin.display(description=_("changes"))
    def summary(self, change):
        return "; ".join(_change_lines(change.changes))[:500]
