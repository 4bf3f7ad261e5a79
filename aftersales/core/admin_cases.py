"""What the staff admins of cases share: a ticket or a complaint (and the apps built like them).

A case has a number, a customer, a status moved only by services through action buttons, SLA clocks,
an event timeline and a public tracking view. Its admin page is read-only; each button opens a small
form that calls the app's service. This module holds the parts that are the same for every case:
the work queues, the phone-aware search and masked phone (004 §4.3), the SLA badge and clock table,
the timeline inline, and the action-form views. Each app's admin names its own services, forms,
labels and messages through the class attributes and hooks below.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aftersales.core import clock
from aftersales.core.admin_forms import NoteForm, apply_service_error, submit_to_service, told
from aftersales.core.calendars.services import calendar_specs
from aftersales.core.privacy import can_see_contact, customer_privacy, mask_phone
from aftersales.core.selectors import clocks_for
from aftersales.core.sla.badges import OPEN_CLOCK_STATES, read_clock


def local_time(moment) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment else "—"


def choice_label(choices, value) -> str:
    """The label of a stored choice, or the stored value when the choice is gone."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value or ""


def person(user) -> str:
    return (user.get_full_name() or user.username) if user else "—"


class ReadOnlyInline(admin.TabularInline):
    """Rows written by services; the case page shows them."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CaseEventInline(ReadOnlyInline):
    """The timeline of a case; ``action_specs`` labels the action events, ``event_labels`` the others."""

    action_specs: dict = {}
    event_labels: dict = {}
    status_choices = None  # the app's Status choices

    verbose_name = _("timeline entry")
    verbose_name_plural = _("timeline")
    fields = ["created_at", "what", "change", "who", "public", "note", "details"]
    readonly_fields = fields
    ordering = ["created_at", "id"]  # newest last, as the story happened

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("action"))
    def what(self, event):
        spec = self.action_specs.get(event.action)
        return spec.label if spec else self.event_labels.get(event.action, event.action)

    @admin.display(description=_("status"))
    def change(self, event):
        if not event.to_status or event.from_status == event.to_status:
            return "—"
        before = choice_label(self.status_choices, event.from_status)
        after = choice_label(self.status_choices, event.to_status)
        return f"{before} → {after}" if before else after

    @admin.display(description=_("details"))
    def details(self, event):
        if not event.data:
            return "—"
        return format_html_join(", ", "{}: {}", sorted((str(key), str(value)) for key, value in event.data.items()))

    @admin.display(description=_("by"))
    def who(self, event):
        if event.actor_id:
            return person(event.actor)
        return gettext("customer") if event.by_customer else gettext("system")


class CaseQueueFilter(admin.SimpleListFilter):
    """Work queues over open cases: mine, unassigned, due soon, breached (labels per app)."""

    title = _("queue")
    parameter_name = "queue"
    queues: list = []  # (value, label) for "mine", "unassigned", "due_soon", "breached"
    owner_field = "owner"
    open_statuses = ()

    @staticmethod
    def due_soon_condition(now):
        raise NotImplementedError

    @staticmethod
    def breached_condition(now):
        raise NotImplementedError

    def lookups(self, request, model_admin):
        return self.queues

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        queryset = queryset.filter(status__in=list(self.open_statuses))
        if value == "mine":
            return queryset.filter(**{self.owner_field: request.user})
        if value == "unassigned":
            return queryset.filter(**{f"{self.owner_field}__isnull": True})
        if value == "due_soon":
            return queryset.filter(self.due_soon_condition(clock.now()))
        if value == "breached":
            return queryset.filter(self.breached_condition(clock.now()))
        return queryset


class CaseChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        # One query for the clocks of the whole page (and one for their calendars).
        self.model_admin.attach_sla_badges(list(self.result_list), clock.now())


class CaseAdmin(admin.ModelAdmin):
    """The read-only page of a case with its action buttons; the app fills in the hooks."""

    case_name = "case"  # the template context name of the case ("ticket", "complaint")
    case_search_fields: list = ["number"]  # searched for everyone; the phone only by roles that call
    action_specs: dict = {}  # the app's ACTIONS: name → spec with a label
    action_conflicts: tuple = ()  # exceptions meaning "the case changed meanwhile"
    action_form_template = ""
    note_permissions: tuple = ()  # any of these lets a user write notes
    clock_names = None  # the app's ClockName choices
    invalid_form_status = 200  # of an action form shown again with errors

    # --- hooks the app's admin fills in -------------------------------------------------------

    @staticmethod
    def attach_sla_badges(cases, now) -> None:
        raise NotImplementedError

    @staticmethod
    def badge_for(reading):
        raise NotImplementedError

    def available_actions(self, case, user) -> list:
        """The names of the actions ``user`` may take on ``case`` now."""
        raise NotImplementedError

    def case_action_form(self, action, case, user, data=None) -> forms.Form:
        raise NotImplementedError

    def transition(self, case, action, user, data):
        """Call the app's transition service; returns the case."""
        raise NotImplementedError

    def staff_note(self, case, *, body, user, public):
        raise NotImplementedError

    def extra_tools(self, request, case) -> list:
        """The buttons besides the actions (note, part, corrective action…): dicts of label and url."""
        return []

    def action_denied(self, request, case, label, form, context):
        raise NotImplementedError

    # The messages name the kind of case, so each app keeps its own (translated) wording.

    def changed_message(self, label) -> str:
        """The warning when the case moved on meanwhile: the action is no longer possible."""
        raise NotImplementedError

    def done_message(self, case, label) -> str:
        raise NotImplementedError

    def action_done(self, request, case, action) -> None:
        """Anything to tell after an action besides ``done_message``."""

    def action_context(self, case, action, form) -> dict:
        """More for the action form's template (e.g. the quote being approved)."""
        return {}

    # --- permissions: the case changes only through services ----------------------------------

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def may_note(self, user) -> bool:
        return any(user.has_perm(permission) for permission in self.note_permissions)

    # --- list ---------------------------------------------------------------------------------

    def get_changelist(self, request, **kwargs):
        return CaseChangeList

    def get_search_fields(self, request):
        # Searching a masked phone would confirm its hidden digits (004 §4.3): the policy decides.
        policy = customer_privacy(request.user)
        return [*self.case_search_fields, *policy.admin_search_fields(["phone"], path="customer__")]

    def get_search_results(self, request, queryset, search_term):
        unfiltered = queryset
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # "138 0013-8000" is searched as the stored, normalised number too.
        phone = customer_privacy(request.user).search_condition(search_term, path="customer__", fields=["phone"])
        if phone:
            queryset |= unfiltered.filter(phone)
        return queryset, may_have_duplicates

    @admin.display(description=_("SLA"))
    def sla(self, case):
        badge = getattr(case, "sla_badge", None)
        return badge.html() if badge else "—"

    # --- change page --------------------------------------------------------------------------

    @admin.display(description=_("phone"))
    def customer_phone(self, case):
        return case.customer.phone

    @admin.display(description=_("phone"))
    def customer_phone_masked(self, case):
        return mask_phone(case.customer.phone)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if can_see_contact(request.user):
            return fieldsets
        # Only roles that call or visit customers see their numbers (004 §4.3).
        return [
            (
                name,
                {
                    **options,
                    "fields": [
                        tuple("customer_phone_masked" if item == "customer_phone" else item for item in field)
                        if isinstance(field, tuple)
                        else field
                        for field in options["fields"]
                    ],
                },
            )
            for name, options in fieldsets
        ]

    @admin.display(description=_("SLA clocks"))
    def sla_clocks(self, case):
        clocks = list(clocks_for(case).select_related("calendar"))
        if not clocks:
            return "—"
        now = clock.now()
        specs = calendar_specs({item.calendar_id for item in clocks})
        rows = []
        for item in clocks:
            if item.state in OPEN_CLOCK_STATES:
                state = self.badge_for(read_clock(item, now, specs)).html()
            else:
                state = item.get_state_display()
            rows.append(
                (
                    choice_label(self.clock_names, item.name),
                    item.cycle,
                    state,
                    local_time(item.due_at),
                    local_time(item.met_at),
                    local_time(item.breached_at),
                    round(item.paused_seconds / 3600, 1),
                )
            )
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            gettext("Clock"),
            gettext("Cycle"),
            gettext("State"),
            gettext("Due"),
            gettext("Met"),
            gettext("Breached"),
            gettext("Paused (h)"),
        )
        body = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows
        )
        return format_html('<table class="sla-clocks"><thead>{}</thead><tbody>{}</tbody></table>', header, body)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        case = self.get_object(request, unquote(object_id))
        if case is not None and self.has_view_permission(request, case):
            extra_context.update(self.case_tools(request, case))
        return super().change_view(request, object_id, form_url, extra_context)

    def case_tools(self, request, case) -> dict:
        """The buttons of the change page, as ``<case>_actions`` and ``<case>_tools``."""
        actions = [
            {"name": name, "label": self.action_specs[name].label, "url": self.admin_url("action", case.pk, name)}
            for name in self.available_actions(case, request.user)
        ]
        return {f"{self.case_name}_actions": actions, f"{self.case_name}_tools": self.extra_tools(request, case)}

    # --- the action forms ---------------------------------------------------------------------

    def admin_url(self, view: str, *args) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}", args=args)

    def change_url(self, case) -> str:
        return self.admin_url("change", case.pk)

    def case_or_none(self, request, object_id):
        case = self.get_object(request, unquote(object_id))
        if case is not None and not self.has_view_permission(request, case):
            raise PermissionDenied
        return case

    def render_case_form(self, request, case, context: dict, *, template: str = "", status: int = 200):
        return TemplateResponse(
            request,
            template or self.action_form_template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": case,
                self.case_name: case,
                "change_url": self.change_url(case),
                "media": self.media + context.get("form", forms.Form()).media,
                **context,
            },
            status=status,
        )

    def render_labelled_form(self, request, case, label, form):
        return self.render_case_form(
            request, case, {"title": f"{case.number}: {label}", "action_label": label, "form": form}
        )

    def case_form_view(self, request, object_id, *, label, form_class, allowed, perform, not_now, done):
        """A page on one case whose form calls one service (record a part, plan a corrective action…).

        ``allowed(case, user)`` or 403; ``perform(case, cleaned_data)`` runs the service; a refusal in
        ``action_conflicts`` goes back to the case with the warning ``not_now``, success with
        ``done(result)``.
        """
        case = self.case_or_none(request, object_id)
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not allowed(case, request.user):
            raise PermissionDenied
        form = form_class(request.POST or None)
        back = self.change_url(case)
        response = submit_to_service(
            request,
            form,
            lambda data: perform(case, data),
            refused=self.action_conflicts,
            on_refused=lambda: told(self, request, not_now, messages.WARNING, back),
            on_done=lambda result: told(self, request, done(result), messages.SUCCESS, back),
        )
        return response or self.render_labelled_form(request, case, label, form)

    def action_view(self, request, object_id, action):
        """The intermediate form of one action: its fields, then the app's transition service."""
        case = self.case_or_none(request, object_id)
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        spec = self.action_specs.get(action)
        if spec is None:
            raise Http404(gettext("Unknown action."))
        change_url = self.change_url(case)
        context = {"title": f"{case.number}: {spec.label}", "action_label": spec.label}
        if request.method == "POST":
            form = self.case_action_form(action, case, request.user, request.POST)
            if form.is_valid():
                try:
                    case = self.transition(case, action, request.user, form.service_data())
                except PermissionDenied:
                    return self.action_denied(request, case, spec.label, form, context)
                except self.action_conflicts:
                    self.message_user(request, self.changed_message(spec.label), messages.WARNING)
                    return HttpResponseRedirect(change_url)
                except ValidationError as error:
                    apply_service_error(form, error)
                else:
                    if message := form.cleaned_data.get("customer_message", "").strip():
                        self.staff_note(case, body=message, user=request.user, public=True)
                    self.message_user(request, self.done_message(case, spec.label), messages.SUCCESS)
                    self.action_done(request, case, action)
                    return HttpResponseRedirect(change_url)
        else:
            if action not in self.available_actions(case, request.user):
                self.message_user(request, self.changed_message(spec.label), messages.WARNING)
                return HttpResponseRedirect(change_url)
            form = self.case_action_form(action, case, request.user)
        context = {**context, "form": form, **self.action_context(case, action, form)}
        return self.render_case_form(request, case, context, status=self.invalid_form_status if form.errors else 200)

    def note_view(self, request, object_id):
        case = self.case_or_none(request, object_id)
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.may_note(request.user):
            raise PermissionDenied
        form = NoteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                self.staff_note(
                    case, body=form.cleaned_data["body"], user=request.user, public=form.cleaned_data["public"]
                )
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                self.message_user(request, gettext("Note added."), messages.SUCCESS)
                return HttpResponseRedirect(self.change_url(case))
        return self.render_labelled_form(request, case, gettext("Add a note"), form)

    # --- registering a case -------------------------------------------------------------------

    def registered(self, request, case, tracking_url) -> None:
        """Log the new case and tell the staff member the customer's tracking link."""
        self.log_addition(request, case, [{"added": {}}])
        self.message_user(
            request,
            format_html(
                "{} <code>{}</code>",
                gettext("%(number)s registered; the customer was sent the tracking link:") % {"number": case.number},
                tracking_url,
            ),
            messages.SUCCESS,
        )

    def render_add_form(self, request, form, title, template, extra_context=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "media": self.media + form.media,
            "add": True,
            "has_view_permission": self.has_view_permission(request),
            **(extra_context or {}),
        }
        return TemplateResponse(request, template, context)


def duration_label(minutes) -> str:
    """A policy's allowed time in the largest whole unit: 2 d, 4 h, 90 min."""
    if minutes is None:
        return "—"
    if minutes % (24 * 60) == 0:
        return gettext("%(days)d d") % {"days": minutes // (24 * 60)}
    if minutes % 60 == 0:
        return gettext("%(hours)d h") % {"hours": minutes // 60}
    return gettext("%(minutes)d min") % {"minutes": minutes}
