"""The staff admin of complaints (REQUIREMENTS §1, §5; 004 ch. 2–3).

A complaint page is read-only: its state and fields move only through the action buttons, each of
which asks for the action's fields on a small form and calls ``services.complaint_transition``. New
complaints go through ``services.complaint_create`` (numbers, promises, the duplicate rule);
notes, corrective actions and late-promise reports through their services.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aftersales.core import clock
from aftersales.core.admin_cases import (
    CaseAdmin,
    CaseAttachmentInline,
    CaseEventInline,
    CaseQueueFilter,
    CaseSlaPolicyAdmin,
    DoneStateFilter,
    ReadOnlyInline,
    RecordAdmin,
    TaskAdmin,
    local_time,
    person,
)
from aftersales.core.admin_forms import SlaPolicyChecks, submit_to_service, told
from aftersales.core.cases import ActionNotAllowed

from . import services
from .actions import approval_limit
from .admin_forms import (
    BreachExplainForm,
    ComplaintCreateForm,
    CorrectiveActionAddForm,
    CorrectiveCompleteForm,
    CorrectiveVerifyForm,
    ProposeResolutionForm,
    action_form_class,
)
from .admin_queries import corrective_actions_overdue_first, corrective_is_overdue
from .cases import COMPLAINTS
from .choices import OPEN_STATUSES, CategoryGroup, CorrectiveStatus, RootCause, Status
from .models import (
    BreachReport,
    Complaint,
    ComplaintAttachment,
    ComplaintEvent,
    ComplaintSlaPolicy,
    CorrectiveAction,
    StaffComplaintRecord,
)
from .selectors import complaints_visible_to, corrective_actions_for_staff

# Corrective actions follow an investigation (services.corrective_action_add).
CORRECTIVE_STATUSES = (
    Status.INVESTIGATING,
    Status.AWAITING_APPROVAL,
    Status.PROPOSED,
    Status.CONFIRMED,
    Status.CLOSED,
)


class ComplaintEventInline(CaseEventInline):
    model = ComplaintEvent
    case_spec = COMPLAINTS


class ComplaintAttachmentInline(CaseAttachmentInline):
    model = ComplaintAttachment


class CorrectiveActionInline(ReadOnlyInline):
    model = CorrectiveAction
    fields = ["description", "owner", "due_at", "status", "done_at", "verified_at", "open_link"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner")

    @admin.display(description=_("corrective action"))
    def open_link(self, action):
        url = reverse("admin:complaints_correctiveaction_change", args=[action.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Open"))


# --- the complaint list -------------------------------------------------------------------------


class QueueFilter(CaseQueueFilter):
    """Work queues over open complaints: mine, unassigned, due soon, breached."""

    queues = [
        ("mine", _("Owned by me")),
        ("unassigned", _("Without an owner")),
        ("due_soon", _("Due within 4 hours")),
        ("breached", _("Late promises")),
    ]
    owner_field = "owner"
    open_statuses = OPEN_STATUSES
    case_spec = COMPLAINTS


class CategoryGroupFilter(admin.SimpleListFilter):
    """Product / service / other (004 §2.1), the first level of the category tree."""

    title = _("category group")
    parameter_name = "group"

    def lookups(self, request, model_admin):
        return CategoryGroup.choices

    def queryset(self, request, queryset):
        if self.value() in CategoryGroup.values:
            return queryset.filter(category__startswith=f"{self.value()}.")
        return queryset


@admin.register(Complaint)
class ComplaintAdmin(CaseAdmin):
    list_display = [
        "number",
        "sla",
        "status",
        "severity",
        "category",
        "customer",
        "owner",
        "escalation",
        "channel",
        "created_at",
    ]
    list_display_links = ["number"]
    list_filter = [QueueFilter, "status", "severity", CategoryGroupFilter, "category", "channel"]
    list_select_related = ["customer", "owner", "unit", "sla_policy"]
    date_hierarchy = "created_at"
    list_per_page = 50
    inlines = [ComplaintEventInline, ComplaintAttachmentInline, CorrectiveActionInline]
    change_form_template = "admin/complaints/complaint/change_form.html"
    change_list_template = "admin/complaints/complaint/change_list.html"
    fieldsets = [
        (
            _("Complaint"),
            {
                "fields": [
                    ("number", "status"),
                    ("category", "severity", "channel"),
                    ("customer", "customer_phone"),  # swapped for the masked one by role
                    "contact_typed",  # the same
                    "unit",
                    "description",
                    ("created_at", "withdrawn_at"),
                    ("related_tickets", "linked_complaints"),
                ]
            },
        ),
        (
            _("Promises and owner"),
            {
                "fields": [
                    ("owner", "escalation_level"),
                    ("acknowledged_at", "promised_by"),
                    "sla_clocks",
                ]
            },
        ),
        (
            _("Investigation and resolution"),
            {
                "fields": [
                    ("cause", "root_cause_list"),
                    "findings",
                    "responsible_staff",
                    ("resolution_type", "compensation_kind", "compensation_amount"),
                    "resolution",
                    ("approval", "proposed_at"),
                    ("objection_count", "contact_attempts", "reopened_count"),
                    ("confirmed_at", "closed_at"),
                    ("return_visit", "close_reason"),
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
        "related_tickets",
        "linked_complaints",
        "root_cause_list",
        "approval",
    ]

    class Media:
        css = {"all": ["tickets/admin.css"]}

    # --- the case hooks (aftersales.core.admin_cases) -----------------------------------------

    case_spec = COMPLAINTS
    case_name = "complaint"
    case_search_fields = ["number", "unit__serial"]
    action_form_template = "admin/complaints/complaint/action_form.html"
    invalid_form_status = 400

    def case_action_form(self, action, complaint, user, data=None):
        form_class = action_form_class(action)
        extra = {"limit": approval_limit()} if form_class is ProposeResolutionForm else {}
        return form_class(data, complaint=complaint, user=user, **extra)

    def action_denied(self, request, complaint, label, form, context):
        messages.error(request, gettext("You may not do “%(action)s” on this complaint.") % {"action": label})
        return self.render_case_form(request, complaint, {**context, "form": form}, status=403)

    def changed_message(self, label) -> str:
        return gettext(
            "“%(action)s” is not possible now: the complaint changed meanwhile. Check its status and try again."
        ) % {"action": label}

    def done_message(self, complaint, label) -> str:
        return gettext("%(complaint)s: “%(action)s” done.") % {"complaint": complaint.number, "action": label}

    def action_done(self, request, complaint, action) -> None:
        if complaint.status == Status.AWAITING_APPROVAL and action == "propose_resolution":
            self.message_user(
                request,
                gettext("The compensation is above the limit: the service manager approves it first."),
                messages.INFO,
            )

    def extra_tools(self, request, complaint) -> list:
        tools = []
        if request.user.has_perm("complaints.add_correctiveaction") and complaint.status in CORRECTIVE_STATUSES:
            tools.append(
                {"label": gettext("Plan a corrective action"), "url": self.admin_url("corrective", complaint.pk)}
            )
        return tools

    def get_queryset(self, request):
        # One rule with the API: only roles with the view permission see complaints at all.
        complaints = complaints_visible_to(request.user).select_related(
            "customer", "owner", "unit", "sla_policy", "duplicate_of", "responsible_staff", "proposed_by", "approved_by"
        )
        ordering = self.get_ordering(request)
        return complaints.order_by(*ordering) if ordering else complaints

    # --- list ---------------------------------------------------------------------------------

    @admin.display(description=_("escalation"), ordering="escalation_level")
    def escalation(self, complaint):
        if not complaint.escalation_level:
            return "—"
        ladder = complaint.sla_policy.escalation_ladder if complaint.sla_policy_id and complaint.sla_policy else None
        rung = ladder[complaint.escalation_level] if ladder and complaint.escalation_level < len(ladder) else ""
        return f"{complaint.escalation_level} · {rung}" if rung else str(complaint.escalation_level)

    # --- change page --------------------------------------------------------------------------

    @admin.display(description=_("root causes"))
    def root_cause_list(self, complaint):
        labels = []
        for code in complaint.root_causes or []:
            try:
                labels.append(str(RootCause(code).label))
            except ValueError:
                labels.append(code)
        return ", ".join(labels) or "—"

    @admin.display(description=_("approval"))
    def approval(self, complaint):
        if complaint.status == Status.AWAITING_APPROVAL:
            return gettext("Awaiting the service manager's approval (above %(limit)s)") % {"limit": approval_limit()}
        if complaint.approved_by_id:
            return f"{person(complaint.approved_by)} · {local_time(complaint.approved_at)}"
        return "—"

    @admin.display(description=_("related tickets"))
    def related_tickets(self, complaint):
        tickets = list(complaint.tickets.all())
        if not tickets:
            return "—"
        return format_html_join(
            ", ",
            '<a href="{}">{}</a> ({})',
            (
                (reverse("admin:tickets_ticket_change", args=[ticket.pk]), ticket.number, ticket.get_status_display())
                for ticket in tickets
            ),
        )

    @admin.display(description=_("linked complaints"))
    def linked_complaints(self, complaint):
        items = []
        if complaint.duplicate_of_id:
            original = complaint.duplicate_of
            items.append(
                format_html(
                    '{} <a href="{}">{}</a>',
                    gettext("Duplicate of"),
                    reverse("admin:complaints_complaint_change", args=[original.pk]),
                    original.number,
                )
            )
        if complaint.duplicate_override_reason:
            items.append(
                format_html("{}: {}", gettext("Handled separately because"), complaint.duplicate_override_reason)
            )
        duplicates = list(complaint.duplicates.order_by("created_at"))
        if duplicates:
            links = format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                ((reverse("admin:complaints_complaint_change", args=[item.pk]), item.number) for item in duplicates),
            )
            items.append(format_html("{}: {}", gettext("Repeats linked here"), links))
        if not items:
            return "—"
        return format_html(
            '<ul class="plain">{}</ul>', format_html_join("", "<li>{}</li>", ((item,) for item in items))
        )

    # --- custom views -------------------------------------------------------------------------

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/corrective/", view(self.corrective_view), name="complaints_complaint_corrective"),
            *super().get_urls(),  # the case pages: actions, note, attach, attachment
        ]

    def corrective_view(self, request, object_id):
        """Plan a corrective action (PDCA, 001 二.4) → ``services.corrective_action_add``."""
        return self.case_form_view(
            request,
            object_id,
            label=gettext("Plan a corrective action"),
            form_class=CorrectiveActionAddForm,
            allowed=lambda complaint, user: user.has_perm("complaints.add_correctiveaction"),
            perform=lambda complaint, data: services.corrective_action_add(
                complaint=complaint, actor=request.user, **data
            ),
            not_now=gettext("Corrective actions follow an investigation."),
            done=lambda _action: gettext("Corrective action planned."),
        )

    add_form_class = ComplaintCreateForm
    add_form_template = "admin/complaints/complaint/add_form.html"
    add_title = _("Register a complaint")
    add_refused = _("You may not handle a repeat complaint separately.")

    def register(self, request, form):
        """A complaint taken by staff through ``services.complaint_register`` (duplicate rule, promises)."""
        data = form.cleaned_data
        try:
            return services.complaint_register(
                customer=form.customer_reference(),
                category=data["category"],
                severity=data["severity"],
                channel=data["channel"],
                description=data["description"],
                unit=data["serial"],
                ticket_numbers=data["ticket_numbers"],
                owner=data["owner"],
                actor=request.user,
                allow_duplicate=data["allow_duplicate"],
                duplicate_reason=data["duplicate_reason"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "tickets" in error.error_dict:  # the form's field
                raise ValidationError({"ticket_numbers": error.error_dict["tickets"]}) from error
            raise

    def registered_more(self, request, created) -> None:
        if created.duplicate_of is not None:
            original = created.duplicate_of
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">{}</a>. {}',
                    gettext("Linked as a repeat of the open complaint"),
                    self.change_url(original),
                    original.number,
                    gettext("It is handled there; its owner was told."),
                ),
                messages.WARNING,
            )


# --- corrective actions (PDCA) ---------------------------------------------------------------


class CorrectiveStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Overdue")),
            ("mine", _("Open, mine")),
            *CorrectiveStatus.choices,
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "overdue":
            return queryset.filter(status=CorrectiveStatus.OPEN, due_at__lte=clock.now())
        if value == "mine":
            return queryset.filter(status=CorrectiveStatus.OPEN, owner=request.user)
        if value in CorrectiveStatus.values:
            return queryset.filter(status=value)
        return queryset


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(RecordAdmin):
    """Plan–do–check–act: overdue actions first; done and verified through their services."""

    list_display = ["complaint", "description_start", "owner", "due", "status", "escalation_level"]
    list_display_links = ["description_start"]
    list_filter = [CorrectiveStateFilter, "owner"]
    search_fields = ["complaint__number", "description"]
    readonly_fields = [
        "complaint",
        "description",
        "owner",
        "due_at",
        "status",
        "escalation_level",
        "created_by",
        "created_at",
        "done_at",
        "done_note",
        "verified_at",
        "verified_by",
        "verification_note",
    ]
    fields = readonly_fields
    change_form_template = "admin/complaints/correctiveaction/change_form.html"

    class Media:
        css = {"all": ["tickets/admin.css"]}

    # Read-only (RecordAdmin): planned from the complaint page, where the root cause is; done and
    # verified through their services.

    def get_queryset(self, request):
        actions = corrective_actions_for_staff(user=request.user).select_related("verified_by", "created_by")
        return corrective_actions_overdue_first(actions, clock.now())

    def get_ordering(self, request):
        return ["urgency", "due_at", "id"]  # overdue first (annotated in get_queryset)

    @admin.display(description=_("action"))
    def description_start(self, action):
        return (action.description[:60] + "…") if len(action.description) > 60 else action.description

    @admin.display(description=_("due"), ordering="due_at")
    def due(self, action):
        if corrective_is_overdue(action, clock.now()):
            return format_html(
                '<span class="sla-badge sla-breached">{} · {}</span>', gettext("overdue"), local_time(action.due_at)
            )
        return local_time(action.due_at)

    def get_list_display(self, request):
        # The buttons depend on who looks: the owner marks done, someone else verifies.
        @admin.display(description=_("next step"))
        def next_step(action):
            links = self._links(request, action)
            return format_html_join(" ", '<a class="button" href="{}">{}</a>', links) if links else "—"

        return [*self.list_display, next_step]

    @staticmethod
    def _permitted_complete(user, action) -> bool:
        return user.pk == action.owner_id or user.has_perm("complaints.change_correctiveaction")

    @staticmethod
    def _permitted_verify(user, action) -> bool:
        # Someone other than the owner checks the effect (services.corrective_action_verify).
        return user.has_perm("complaints.verify_correctiveaction") and user.pk != action.owner_id

    def _may_complete(self, user, action) -> bool:
        return action.status == CorrectiveStatus.OPEN and self._permitted_complete(user, action)

    def _may_verify(self, user, action) -> bool:
        return action.status == CorrectiveStatus.DONE and self._permitted_verify(user, action)

    def _links(self, request, action) -> list:
        links = []
        if self._may_complete(request.user, action):
            links.append(
                (reverse("admin:complaints_correctiveaction_complete", args=[action.pk]), gettext("Mark done"))
            )
        if self._may_verify(request.user, action):
            links.append((reverse("admin:complaints_correctiveaction_verify", args=[action.pk]), gettext("Verify")))
        return links

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/complete/", view(self.complete_view), name="complaints_correctiveaction_complete"),
            path("<path:object_id>/verify/", view(self.verify_view), name="complaints_correctiveaction_verify"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        action = self.get_object(request, unquote(object_id))
        links = self._links(request, action) if action is not None else []
        extra_context = {**(extra_context or {}), "corrective_links": links}
        return super().change_view(request, object_id, form_url, extra_context)

    def _step_view(self, request, object_id, *, form_class, permitted, status, title, perform):
        action = self.get_object(request, unquote(object_id))
        if action is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        back = reverse("admin:complaints_correctiveaction_change", args=[action.pk])
        if not permitted(request.user, action):
            raise PermissionDenied
        if action.status != status:
            self.message_user(request, gettext("This step is not possible for this action now."), messages.WARNING)
            return HttpResponseRedirect(back)
        form = form_class(request.POST or None)
        response = submit_to_service(
            request,
            form,
            lambda _data: perform(action, form),
            refused=(ActionNotAllowed,),
            on_refused=lambda: told(
                self, request, gettext("The corrective action changed meanwhile."), messages.WARNING, back
            ),
            on_done=lambda _done: told(self, request, gettext("Saved."), messages.SUCCESS, back),
        )
        if response is not None:
            return response
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": action,
            "title": f"{title} — {action}",
            "form": form,
            "media": self.media + form.media,
            "back_url": back,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/complaints/simple_form.html", context)

    def complete_view(self, request, object_id):
        return self._step_view(
            request,
            object_id,
            form_class=CorrectiveCompleteForm,
            permitted=self._permitted_complete,
            status=CorrectiveStatus.OPEN,
            title=gettext("Mark done"),
            perform=lambda action, form: services.corrective_action_complete(
                action=action, actor=request.user, note=form.cleaned_data["note"]
            ),
        )

    def verify_view(self, request, object_id):
        return self._step_view(
            request,
            object_id,
            form_class=CorrectiveVerifyForm,
            permitted=self._permitted_verify,
            status=CorrectiveStatus.DONE,
            title=gettext("Verify"),
            perform=lambda action, form: services.corrective_action_verify(
                action=action,
                actor=request.user,
                effective=form.effective,
                note=form.cleaned_data["note"],
                new_due_at=form.cleaned_data.get("new_due_at"),
            ),
        )


# --- late promises -----------------------------------------------------------------------------


class BreachStateFilter(DoneStateFilter):
    def lookups(self, request, model_admin):
        return [("open", _("To explain")), ("done", _("Explained"))]


@admin.register(BreachReport)
class BreachReportAdmin(TaskAdmin):
    """A late promise asks for an explanation and a remedy (000 P1§5)."""

    list_display = ["complaint", "promise", "assignee", "created_at", "done_at", "explain_link"]
    list_filter = [BreachStateFilter, "clock_name"]
    list_select_related = ["complaint", "assignee"]
    search_fields = ["complaint__number"]
    readonly_fields = [
        "complaint",
        "clock_name",
        "assignee",
        "created_at",
        "explanation",
        "remedy",
        "done_at",
        "done_by",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(complaint__in=complaints_visible_to(request.user))
            .select_related("complaint", "assignee", "done_by")
        )

    @admin.display(description=_("promise"), ordering="clock_name")
    def promise(self, report):
        return COMPLAINTS.clock_label(report.clock_name)

    task_route = "explain"
    task_label = _("Explain")

    @admin.display(description=_("explained?"))
    def explain_link(self, report):
        return self.task_link_html(report)

    def task_page(self, request, object_id):
        return self.task_view(
            request,
            object_id,
            permitted=request.user.has_perm("complaints.change_breachreport"),
            form=lambda _report: BreachExplainForm(request.POST or None),
            perform=lambda report, data: services.breach_report_explain(report=report, actor=request.user, **data),
            already_done=gettext("This late promise was already explained."),
            done=gettext("Late promise explained."),
            template="admin/complaints/simple_form.html",
            context=lambda report: {
                "title": f"{gettext('Explain a late promise')} — {report}",
                "back_url": reverse("admin:complaints_complaint_change", args=[report.complaint_id]),
                "has_view_permission": True,
            },
        )


# --- records and policies ------------------------------------------------------------------------


@admin.register(StaffComplaintRecord)
class StaffComplaintRecordAdmin(RecordAdmin):
    """Verified complaints against a staff member (002 §16); written when such a complaint is closed."""

    list_display = ["staff", "complaint", "category", "root_cause_list", "recorded_at", "recorded_by"]
    list_filter = ["staff", "category"]
    list_select_related = ["staff", "complaint", "recorded_by"]
    search_fields = ["complaint__number", "staff__username"]
    readonly_fields = ["staff", "complaint", "category", "root_causes", "recorded_at", "recorded_by"]
    fields = readonly_fields

    @admin.display(description=_("root causes"))
    def root_cause_list(self, record):
        return ", ".join(
            str(RootCause(code).label) if code in RootCause.values else code for code in record.root_causes
        )


LADDER_RUNGS = ("owner", "agent", "supervisor", "manager", "executive")


class ComplaintSlaPolicyForm(SlaPolicyChecks, forms.ModelForm):
    ladder_rungs = LADDER_RUNGS

    class Meta:
        model = ComplaintSlaPolicy
        fields = [
            "severity",
            "first_response_minutes",
            "on_site_minutes",
            "resolution_minutes",
            "calendar",
            "thresholds",
            "escalation_ladder",
        ]
        help_texts = {
            "thresholds": _("Percentages of the allowed time that warn, e.g. [50, 75, 90]."),
            "escalation_ladder": _('Who hears of each breach, in order, e.g. ["owner", "supervisor", "manager"].'),
        }


@admin.register(ComplaintSlaPolicy)
class ComplaintSlaPolicyAdmin(CaseSlaPolicyAdmin):
    """The promises per severity. Changes apply to complaints received (or reclassified) afterwards."""

    form = ComplaintSlaPolicyForm
    list_display = [
        "severity",
        "first_response",
        "on_site",
        "resolution",
        "calendar",
        "thresholds",
        "escalation_ladder",
    ]
    list_select_related = ["calendar"]

    def has_delete_permission(self, request, obj=None):
        return False  # complaints keep a reference to their policy
