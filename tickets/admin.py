"""The staff admin of service tickets (REQUIREMENTS §1, §3).

A ticket page is read-only: its state moves only through the action buttons, each of which asks
for the action's fields on a small form and calls ``services.ticket_transition``. New tickets go
through ``services.ticket_create``; notes, parts, follow-ups and standby loans through their services.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition

from aftersales.core.admin_cases import (
    CaseAdmin,
    CaseAttachmentInline,
    CaseEventInline,
    CaseQueueFilter,
    CaseSlaPolicyAdmin,
    ReadOnlyInline,
    RecordAdmin,
    TaskAdmin,
    duration_label,
)
from aftersales.core.admin_forms import SlaPolicyChecks, submit_to_service, told
from aftersales.core.cases import ActionNotAllowed
from aftersales.core.roles import TECHNICIAN
from warranty.choices import Charge

from . import services
from .admin_forms import (
    BulkAssignForm,
    FollowUpCompleteForm,
    PartForm,
    QuoteForm,
    StandbyLendForm,
    TicketCreateForm,
    WorkForm,
    action_form_class,
)
from .cases import TICKETS
from .choices import OPEN_STATUSES, FollowUpKind, Status
from .models import (
    FollowUp,
    PartUsage,
    SlaPolicy,
    StandbyLoan,
    StandbyUnit,
    Survey,
    Technician,
    Ticket,
    TicketAttachment,
    TicketEvent,
)
from .selectors import tickets_visible_to

# Statuses in which a dispatch (and so an assignment) is possible (tickets.models.Ticket.dispatch).
ASSIGNABLE_STATUSES = (Status.DIAGNOSING, Status.DISPATCHED)
BULK_ASSIGN_LIMIT = 200


class TicketEventInline(CaseEventInline):
    model = TicketEvent
    case_spec = TICKETS


class PartUsageInline(ReadOnlyInline):
    model = PartUsage
    fields = [
        "part_number",
        "description",
        "quantity",
        "unit_cost",
        "replacement_serial",
        "paid_by_customer",
        "recorded_by",
        "recorded_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("recorded_by")


class TicketAttachmentInline(CaseAttachmentInline):
    model = TicketAttachment


class FollowUpInline(ReadOnlyInline):
    model = FollowUp
    fields = ["kind", "assigned_role", "assignee", "due_at", "done_at", "done_by", "open_link"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("assignee", "done_by")

    @admin.display(description=_("follow-up"))
    def open_link(self, follow_up):
        url = reverse("admin:tickets_followup_change", args=[follow_up.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Open"))


class StandbyLoanInline(ReadOnlyInline):
    model = StandbyLoan
    fields = ["standby_unit", "lent_at", "lent_by", "returned_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("standby_unit", "lent_by")


# --- the ticket list ------------------------------------------------------------------------


class QueueFilter(CaseQueueFilter):
    """Work queues over open tickets: mine, unassigned, due soon, breached."""

    queues = [
        ("mine", _("Assigned to me")),
        ("unassigned", _("Unassigned")),
        ("due_soon", _("Due within 4 hours")),
        ("breached", _("Breached or escalated")),
    ]
    owner_field = "assignee"
    open_statuses = OPEN_STATUSES
    case_spec = TICKETS
    escalated_is_breached = True


@admin.register(Ticket)
class TicketAdmin(CaseAdmin):
    list_display = [
        "number",
        "sla",
        "status",
        "ticket_type",
        "priority",
        "customer",
        "unit",
        "assignee",
        "channel",
        "created_at",
    ]
    list_display_links = ["number"]
    list_filter = [QueueFilter, "status", "ticket_type", "priority", "channel", "region"]
    list_select_related = ["customer", "assignee", "unit"]
    date_hierarchy = "created_at"
    list_per_page = 50
    actions = ["assign_to_technician"]
    inlines = [TicketEventInline, TicketAttachmentInline, PartUsageInline, FollowUpInline, StandbyLoanInline]
    change_form_template = "admin/tickets/ticket/change_form.html"
    change_list_template = "admin/tickets/ticket/change_list.html"
    fieldsets = [
        (
            _("Request"),
            {
                "fields": [
                    ("number", "status"),
                    ("ticket_type", "priority", "channel"),
                    ("customer", "customer_phone"),  # swapped for the masked one by role
                    "contact_typed",  # the same
                    ("unit", "region"),
                    "description",
                    "created_at",
                ]
            },
        ),
        (
            _("Service level"),
            {"fields": ["sla_clocks", ("escalation_level", "acknowledged_at")]},
        ),
        (
            _("Work"),
            {
                "fields": [
                    ("assignee", "appointment_at"),
                    ("fault_cause", "diagnosis"),
                    "entitlement_summary",
                    "quote_summary",
                    ("resolution", "functional_test"),
                    ("labour_hours", "travel_km"),
                    ("visits", "first_visit_fixed", "reopened_count"),
                    ("resolved_at", "closed_at", "cancelled_at"),
                ]
            },
        ),
    ]
    readonly_fields = [
        "customer_phone",
        "customer_phone_masked",
        "contact_typed",
        "contact_typed_masked",
        "sla_clocks",
        "entitlement_summary",
        "quote_summary",
    ]

    class Media:
        css = {"all": ["tickets/admin.css"]}

    # --- the case hooks (aftersales.core.admin_cases) -----------------------------------------

    case_spec = TICKETS
    case_name = "ticket"
    case_search_fields = ["number", "unit__serial", "customer__name"]
    action_form_template = "admin/tickets/ticket/action_form.html"

    def case_action_form(self, action, ticket, user, data=None):
        return action_form_class(action)(data, ticket=ticket, user=user)

    def action_denied(self, request, ticket, label, form, context):
        self.message_user(
            request, gettext("You may not do “%(action)s” on this ticket.") % {"action": label}, messages.ERROR
        )
        return HttpResponseRedirect(self.change_url(ticket))

    def changed_message(self, label) -> str:
        return gettext(
            "“%(action)s” is not possible now: the ticket may have changed meanwhile. Check its status and try again."
        ) % {"action": label}

    def done_message(self, ticket, label) -> str:
        return gettext("%(ticket)s: “%(action)s” done.") % {"ticket": ticket.number, "action": label}

    def action_context(self, ticket, action, form) -> dict:
        return {
            "parts_formset": form.parts if isinstance(form, QuoteForm) else None,
            "entitlement": self.entitlement_summary(ticket) if action == "request_quote" else None,
            "quote": self.quote_summary(ticket) if action in ("approve_quote", "decline_quote") else None,
        }

    def extra_tools(self, request, ticket) -> list:
        tools = []
        if ticket.status in services.PART_STATUSES and services.may_record_part(ticket, request.user):
            tools.append({"label": gettext("Record a part"), "url": self.admin_url("part", ticket.pk)})
        if ticket.status in services.WORK_STATUSES and services.may_record_work(ticket, request.user):
            tools.append({"label": gettext("Record labour and travel"), "url": self.admin_url("work", ticket.pk)})
        return tools

    def has_dispatch_permission(self, request):
        return request.user.has_perm("tickets.dispatch_ticket")

    @admin.display(description=_("warranty decision"))
    def entitlement_summary(self, ticket):
        decision = ticket.entitlement
        if decision is None:
            return "—"
        outputs = decision.outputs or {}
        charges = outputs.get("charges", {})
        language = translation.get_language() or ""
        reasons = outputs.get("reasons_zh_hans") if language.startswith("zh") else outputs.get("reasons")
        items = [
            (gettext("In warranty") if decision.in_warranty else gettext("Out of warranty"),),
            *[
                (f"{label}: {_charge_label(charges.get(key))}",)
                for key, label in (
                    ("parts", gettext("parts")),
                    ("labour", gettext("labour")),
                    ("travel", gettext("travel")),
                )
                if key in charges
            ],
            *[(str(reason),) for reason in (reasons or [])],
        ]
        return format_html('<ul class="plain">{}</ul>', format_html_join("", "<li>{}</li>", items))

    @admin.display(description=_("quote"))
    def quote_summary(self, ticket):
        quote = ticket.quote
        if quote is None:
            return "—"
        lines = format_html_join(
            "",
            "<li>{} × {} — {}</li>",
            ((line.part_number, line.quantity, line.charged_unit_price) for line in quote.lines.all()),
        )
        return format_html(
            '<ul class="plain">{}<li>{}: {}</li><li>{}: {}</li><li><strong>{}: {}</strong> ({})</li></ul>',
            lines,
            gettext("Labour"),
            quote.labour_amount,
            gettext("Travel"),
            quote.travel_amount,
            gettext("Total"),
            quote.total,
            quote.get_status_display(),
        )

    def get_queryset(self, request):
        # One rule with the API for who sees which tickets: technicians see those assigned to them.
        tickets = tickets_visible_to(request.user).select_related("customer", "unit", "assignee", "region")
        ordering = self.get_ordering(request)
        if ordering:
            tickets = tickets.order_by(*ordering)
        return tickets

    # --- custom views -------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/part/", view(self.part_view), name="tickets_ticket_part"),
            path("<path:object_id>/work/", view(self.work_view), name="tickets_ticket_work"),
            *super().get_urls(),  # the case pages: actions, note, attach, attachment
        ]

    def part_view(self, request, object_id):
        return self.case_form_view(
            request,
            object_id,
            label=gettext("Record a part"),
            form_class=PartForm,
            allowed=services.may_record_part,
            perform=lambda ticket, data: services.part_record(ticket=ticket, actor=request.user, **data),
            not_now=gettext("Parts are recorded while the ticket is being worked on."),
            done=lambda usage: gettext("Part %(part)s recorded.") % {"part": usage},
        )

    def work_view(self, request, object_id):
        """One visit's labour and travel → ``services.ticket_record_work``."""
        return self.case_form_view(
            request,
            object_id,
            label=gettext("Record labour and travel"),
            form_class=WorkForm,
            allowed=services.may_record_work,
            perform=lambda ticket, data: services.ticket_record_work(ticket=ticket, by=request.user, **data),
            not_now=gettext("Labour and travel are recorded while the ticket is in work."),
            done=lambda worked: (
                gettext("Recorded. The ticket now has %(hours)s h of labour and %(km)d km of travel.")
                % {"hours": worked.labour_hours, "km": worked.travel_km}
            ),
        )

    add_form_class = TicketCreateForm
    add_form_template = "admin/tickets/ticket/add_form.html"
    add_title = _("Register a service request")
    add_refused = _("You may not register new customers.")

    def register(self, request, form):
        """A new ticket through ``services.ticket_register`` (the customer found or registered with it)."""
        data = form.cleaned_data
        return services.ticket_register(
            customer=form.customer_reference(),
            ticket_type=data["ticket_type"],
            description=data["description"],
            channel=data["channel"],
            priority=data["priority"],
            unit=data["serial"],
            actor=request.user,
        )

    # --- bulk assignment ------------------------------------------------------------------------

    @admin.action(description=_("Assign to a technician (dispatch)"), permissions=["dispatch"])
    def assign_to_technician(self, request, queryset):
        count = queryset.count()
        if count > BULK_ASSIGN_LIMIT:
            self.message_user(
                request,
                gettext("Select at most %(limit)d tickets at a time.") % {"limit": BULK_ASSIGN_LIMIT},
                messages.ERROR,
            )
            return None
        form = BulkAssignForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._assign(request, queryset, form.cleaned_data["technician"], form.cleaned_data["note"])
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Assign to a technician"),
            "form": form,
            "tickets": queryset.select_related("customer", "assignee"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/tickets/ticket/bulk_assign.html", context)

    def _assign(self, request, queryset, technician: Technician, note: str) -> None:
        done, failures = [], []
        for ticket in queryset.order_by("pk"):
            if ticket.status not in ASSIGNABLE_STATUSES:
                failures.append(
                    (ticket.number, gettext("only tickets being diagnosed or already dispatched can be dispatched"))
                )
                continue
            try:
                services.ticket_transition(
                    ticket=ticket,
                    action="dispatch",
                    actor=request.user,
                    data={"technician": technician.user.username, "note": note},
                )
            except PermissionDenied:
                failures.append((ticket.number, gettext("you may not dispatch it")))
            except (ActionNotAllowed, ConcurrentTransition):
                failures.append((ticket.number, gettext("it changed meanwhile")))
            except ValidationError as error:
                failures.append((ticket.number, "; ".join(error.messages)))
            else:
                done.append(ticket.number)
        if done:
            self.message_user(
                request,
                gettext("Dispatched to %(technician)s: %(tickets)s.")
                % {"technician": technician, "tickets": ", ".join(done)},
                messages.SUCCESS,
            )
        for number, reason in failures:
            self.message_user(
                request,
                gettext("%(ticket)s not assigned: %(reason)s.") % {"ticket": number, "reason": reason},
                messages.WARNING,
            )


def _charge_label(value) -> str:
    try:
        return str(Charge(value).label)
    except ValueError:
        return str(value or "—")


# --- SLA matrix, technicians, standby units ---------------------------------------------------


LADDER_RUNGS = ("assignee", "agent", "supervisor", "manager", "executive")


class SlaPolicyForm(SlaPolicyChecks, forms.ModelForm):
    ladder_rungs = LADDER_RUNGS

    class Meta:
        model = SlaPolicy
        fields = [
            "ticket_type",
            "priority",
            "customer_tier",
            "first_response_minutes",
            "on_site_minutes",
            "resolution_minutes",
            "calendar",
            "thresholds",
            "escalation_ladder",
        ]
        help_texts = {
            "customer_tier": _("Empty: every tier without a row of its own."),
            "thresholds": _("Percentages of the allowed time that warn, e.g. [50, 75, 90]."),
            "escalation_ladder": _('Who hears of each breach, in order, e.g. ["assignee", "supervisor", "manager"].'),
        }


@admin.register(SlaPolicy)
class SlaPolicyAdmin(CaseSlaPolicyAdmin):
    """The SLA matrix (type × priority × customer tier). Changes apply to tickets created afterwards."""

    form = SlaPolicyForm
    list_display = [
        "ticket_type",
        "priority",
        "tier",
        "first_response",
        "on_site",
        "resolution",
        "calendar",
        "thresholds",
    ]
    list_display_links = ["ticket_type", "priority"]
    list_filter = ["ticket_type", "priority", "customer_tier", "calendar"]
    list_select_related = ["calendar"]
    ordering = ["ticket_type", "priority", "customer_tier"]

    @admin.display(description=_("customer tier"), ordering="customer_tier")
    def tier(self, policy):
        return policy.customer_tier or gettext("every tier")

    @admin.display(description=_("on site / restore"), ordering="on_site_minutes")
    def on_site(self, policy):
        return duration_label(policy.on_site_minutes)


class TechnicianForm(forms.ModelForm):
    class Meta:
        model = Technician
        fields = [
            "user",
            "region",
            "skills",
            "knowledge_score",
            "skill_score",
            "behaviour_score",
            "certified_on",
            "is_active",
        ]
        widgets = {"skills": forms.CheckboxSelectMultiple}


@admin.register(Technician)
class TechnicianAdmin(admin.ModelAdmin):
    form = TechnicianForm
    list_display = [
        "__str__",
        "certified",
        "region",
        "skill_list",
        "open_tickets",
        "knowledge_score",
        "skill_score",
        "behaviour_score",
        "certified_on",
        "is_active",
    ]
    list_filter = ["is_active", "region", "skills"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    readonly_fields = ["certification"]
    fieldsets = [
        (None, {"fields": ["user", "region", "skills", "is_active"]}),
        (
            _("Training and certification"),
            {
                "fields": ["knowledge_score", "skill_score", "behaviour_score", "certified_on", "certification"],
                "description": _(
                    "Only a technician who passed all three lines (knowledge 60, skill 70, behaviour 80) "
                    "and has a certification date can be dispatched."
                ),
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user", "region")
            .prefetch_related("skills")
            .annotate(
                open_ticket_count=Count(
                    "user__assigned_tickets", filter=Q(user__assigned_tickets__status__in=OPEN_STATUSES)
                )
            )
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            # People in the technician role, and whoever already has a profile (so it stays valid).
            users = get_user_model().objects.filter(is_active=True)
            kwargs["queryset"] = (
                users.filter(Q(groups__name=TECHNICIAN) | Q(technician__isnull=False)).distinct().order_by("username")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("skills"))
    def skill_list(self, technician):
        return ", ".join(str(skill) for skill in technician.skills.all()) or "—"

    @admin.display(description=_("certified"), boolean=True)
    def certified(self, technician):
        return technician.is_certified

    @admin.display(description=_("open tickets"), ordering="open_ticket_count")
    def open_tickets(self, technician):
        return technician.open_ticket_count

    @admin.display(description=_("certification"))
    def certification(self, technician):
        if technician.pk is None:
            return "—"
        if technician.is_certified:
            return gettext("Certified: may be dispatched.")
        return gettext("Not certified: cannot be dispatched until all three pass lines are met and a date is set.")


@admin.register(StandbyUnit)
class StandbyUnitAdmin(admin.ModelAdmin):
    """Same-model units lent when a critical repair takes longer than 4 h (002 §11)."""

    list_display = ["serial", "product_model", "region", "is_available", "current_loan"]
    list_filter = ["is_available", "region", "product_model"]
    list_select_related = ["product_model", "region"]
    search_fields = ["serial"]

    def get_readonly_fields(self, request, obj=None):
        # Availability follows the loans (services.standby_lend / standby_return).
        return ["is_available"]

    @admin.display(description=_("lent on ticket"))
    def current_loan(self, unit):
        if unit.is_available:
            return "—"
        loan = unit.loans.filter(returned_at__isnull=True).select_related("ticket").first()
        return loan.ticket.number if loan else "—"


class LoanStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("out", _("Lent out")), ("returned", _("Returned"))]

    def queryset(self, request, queryset):
        if self.value() == "out":
            return queryset.filter(returned_at__isnull=True)
        if self.value() == "returned":
            return queryset.filter(returned_at__isnull=False)
        return queryset


@admin.register(StandbyLoan)
class StandbyLoanAdmin(admin.ModelAdmin):
    list_display = ["standby_unit", "ticket", "lent_at", "lent_by", "returned_at"]
    list_filter = [LoanStateFilter]
    list_select_related = ["standby_unit", "ticket", "lent_by"]
    search_fields = ["standby_unit__serial", "ticket__number"]
    actions = ["mark_returned"]
    readonly_fields = ["standby_unit", "ticket", "lent_at", "lent_by", "returned_at"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_return_permission(self, request):
        return request.user.has_perm("tickets.change_standbyloan")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StandbyLendForm(request.POST or None, admin_site=self.admin_site)

        def lent(loan):
            self.log_addition(request, loan, [{"added": {}}])
            return told(
                self,
                request,
                gettext("Standby unit %(loan)s lent.") % {"loan": loan},
                messages.SUCCESS,
                reverse("admin:tickets_standbyloan_changelist"),
            )

        response = submit_to_service(
            request,
            form,
            lambda data: services.standby_lend(
                ticket=data["ticket"], standby_unit=data["standby_unit"], actor=request.user
            ),
            refused=(ActionNotAllowed,),
            on_refused=lambda: form.add_error("standby_unit", gettext("This standby unit is already lent.")),
            on_done=lent,
        )
        if response is not None:
            return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Lend a standby unit"),
            "form": form,
            "media": self.media + form.media,
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/tickets/simple_form.html", context)

    @admin.action(description=_("Mark as returned"), permissions=["return"])
    def mark_returned(self, request, queryset):
        returned = 0
        for loan in queryset.filter(returned_at__isnull=True):
            try:
                services.standby_return(loan=loan, actor=request.user)
            except ActionNotAllowed:
                continue
            returned += 1
        self.message_user(
            request, gettext("%(count)d loan(s) marked returned.") % {"count": returned}, messages.SUCCESS
        )


@admin.register(Survey)
class SurveyAdmin(RecordAdmin):
    """Return-visit surveys (read-only: customers answer through the tracking link)."""

    list_display = ["ticket", "cycle", "sent_at", "score", "answered_at", "comment_start"]
    list_filter = ["score", ("answered_at", admin.EmptyFieldListFilter)]
    list_select_related = ["ticket"]
    search_fields = ["ticket__number"]
    date_hierarchy = "sent_at"
    readonly_fields = ["ticket", "cycle", "sent_at", "score", "comment", "answered_at", "answered_by_agent"]

    @admin.display(description=_("comment"))
    def comment_start(self, survey):
        return (survey.comment[:60] + "…") if len(survey.comment) > 60 else survey.comment


class FollowUpStateFilter(admin.SimpleListFilter):
    """Open follow-ups by default: the list is a to-do list."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", _("Open")), ("mine", _("Open, for me")), ("done", _("Done")), ("all", _("All"))]

    def _value(self):
        return self.value() or "open"

    def queryset(self, request, queryset):
        value = self._value()
        if value == "open":
            return queryset.filter(done_at__isnull=True)
        if value == "mine":
            roles = list(request.user.groups.values_list("name", flat=True))
            mine = Q(assignee=request.user) | Q(assignee__isnull=True, assigned_role__in=roles)
            return queryset.filter(mine, done_at__isnull=True)
        if value == "done":
            return queryset.filter(done_at__isnull=False)
        return queryset

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": self._value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }


@admin.register(FollowUp)
class FollowUpAdmin(TaskAdmin):
    list_display = ["kind", "ticket", "assigned_role", "assignee", "due_at", "created_at", "done_at", "complete_link"]
    list_filter = [FollowUpStateFilter, "kind", "assigned_role"]
    list_select_related = ["ticket", "assignee"]
    search_fields = ["ticket__number"]
    readonly_fields = [
        "ticket",
        "kind",
        "assigned_role",
        "assignee",
        "due_at",
        "created_at",
        "done_at",
        "done_by",
        "note",
        "explanation",
        "remedy",
    ]
    change_form_template = "admin/tickets/followup/change_form.html"

    def _may_complete(self, request) -> bool:
        return request.user.has_perm("tickets.change_followup")

    task_route = "complete"

    @admin.display(description=_("done?"))
    def complete_link(self, follow_up):
        return self.task_link_html(follow_up)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "may_complete": self._may_complete(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def task_page(self, request, object_id):
        return self.task_view(
            request,
            object_id,
            permitted=self._may_complete(request),
            form=lambda follow_up: FollowUpCompleteForm(request.POST or None, follow_up=follow_up),
            perform=lambda follow_up, data: services.follow_up_complete(
                follow_up=follow_up, actor=request.user, **data
            ),
            already_done=gettext("This follow-up is already done."),
            done=gettext("Follow-up done."),
            template="admin/tickets/followup/complete_form.html",
            context=lambda follow_up: {
                "title": f"{follow_up.get_kind_display()} — {follow_up.ticket}",
                "ticket_url": reverse("admin:tickets_ticket_change", args=[follow_up.ticket_id]),
                "is_breach_report": follow_up.kind == FollowUpKind.BREACH_REPORT,
            },
        )
