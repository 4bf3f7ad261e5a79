"""What the staff admins of cases share: a ticket or a complaint (and the apps built like them).

A case has a number, a customer, a status moved only by services through action buttons, SLA clocks,
an event timeline and a public tracking view. Its admin page is read-only; each button opens a small
form that calls the case kit's services (aftersales/core/cases) for the app's ``CaseSpec``. This
module holds the parts that are the same for every case: the work queues, the phone-aware search and
masked phone (004 §4.3), the SLA badge and clock table, the timeline inline, and the action-form and
note views. Each app's admin names its spec (``case_spec``), its forms and its messages through the
class attributes and hooks below; who may do what is asked of the kit's predicates, the same ones
its services enforce.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from aftersales.core import cases, clock
from aftersales.core.admin_forms import AttachmentForm, NoteForm, apply_service_error, submit_to_service, told
from aftersales.core.attachments import attachment_response
from aftersales.core.calendars.services import calendar_specs
from aftersales.core.models import SlaClock
from aftersales.core.privacy import can_see_contact, customer_privacy, mask_email, mask_phone
from aftersales.core.selectors import clocks_for, customers_visible_to
from aftersales.core.sla import badges
from aftersales.core.sla.badges import OPEN_CLOCK_STATES, read_clock

DUE_SOON = timedelta(hours=4)


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
    """The timeline of a case, labelled by its ``case_spec`` (actions, then the spec's event labels)."""

    case_spec: cases.CaseSpec

    verbose_name = _("timeline entry")
    verbose_name_plural = _("timeline")
    fields = ["created_at", "what", "change", "who", "public", "note", "details"]
    readonly_fields = ["created_at", "what", "change", "who", "public", "note", "details"]
    ordering = ["created_at", "id"]  # newest last, as the story happened

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("action"))
    def what(self, event):
        return self.case_spec.label_for(event.action)

    @admin.display(description=_("status"))
    def change(self, event):
        if not event.to_status or event.from_status == event.to_status:
            return "—"
        before = choice_label(self.case_spec.status_choices, event.from_status)
        after = choice_label(self.case_spec.status_choices, event.to_status)
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


def _work_clocks(spec: cases.CaseSpec):
    """The case's work clocks, for ``Exists`` subqueries over a list of cases."""
    return SlaClock.objects.filter(
        content_type=ContentType.objects.get_for_model(spec.model), object_id=OuterRef("pk"), name__in=spec.clocks.work
    )


def due_soon_condition(spec: cases.CaseSpec, now, within: timedelta = DUE_SOON) -> Exists:
    """An open, running work clock falls due within ``within`` (and is not late yet)."""
    return Exists(_work_clocks(spec).filter(state=SlaClock.State.RUNNING, due_at__gt=now, due_at__lte=now + within))


def breached_condition(spec: cases.CaseSpec, now, *, escalated: bool = False) -> Q:
    """A work clock is late: recorded by the sweep, or past due before the next sweep notices it.

    ``escalated``: a case already escalated counts as well (tickets).
    """
    late = _work_clocks(spec).filter(Q(breached_at__isnull=False) | Q(state=SlaClock.State.RUNNING, due_at__lte=now))
    condition = Q(Exists(late))
    return Q(escalation_level__gt=0) | condition if escalated else condition


def attach_sla_badges(spec: cases.CaseSpec, subjects, now) -> None:
    """Give each case ``sla_badge``: one query for the page's clocks, one for their calendars."""
    badges.attach_badges(subjects, now, clock_names=spec.clocks.work, label=spec.clock_label)


class CaseAttachmentInline(ReadOnlyInline):
    """Files on the case; each opens through the access-checked download view, never a media URL."""

    verbose_name = _("attachment")
    verbose_name_plural = _("attachments")
    fields = ["download", "file_size", "content_type", "who", "public", "created_at"]
    readonly_fields = ["download", "file_size", "content_type", "who", "public", "created_at"]
    ordering = ["created_at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=_("file"))
    def download(self, attachment):
        case_opts = self.parent_model._meta
        url = reverse(
            f"admin:{case_opts.app_label}_{case_opts.model_name}_attachment",
            args=[getattr(attachment, f"{attachment.case_field}_id"), attachment.pk],
        )
        return format_html('<a href="{}" download>{}</a>', url, attachment.original_name)

    @admin.display(description=_("size"))
    def file_size(self, attachment):
        return filesizeformat(attachment.size)

    @admin.display(description=_("by"))
    def who(self, attachment):
        if attachment.uploaded_by_id:
            return person(attachment.uploaded_by)
        return gettext("customer") if attachment.by_customer else gettext("system")


class CaseQueueFilter(admin.SimpleListFilter):
    """Work queues over open cases: mine, unassigned, due soon, breached (labels per app)."""

    title = _("queue")
    parameter_name = "queue"
    queues: list = []  # (value, label) for "mine", "unassigned", "due_soon", "breached"
    owner_field = "owner"
    open_statuses: frozenset = frozenset()
    case_spec: cases.CaseSpec
    escalated_is_breached = False  # an escalated case is in the "breached" queue too

    def due_soon_condition(self, now):
        return due_soon_condition(self.case_spec, now)

    def breached_condition(self, now):
        return breached_condition(self.case_spec, now, escalated=self.escalated_is_breached)

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
        attach_sla_badges(self.model_admin.case_spec, list(self.result_list), clock.now())


class CaseAdmin(admin.ModelAdmin):
    """The read-only page of a case with its action buttons; the app names its spec and fills the hooks."""

    case_spec: cases.CaseSpec
    case_name = "case"  # the template context name of the case ("ticket", "complaint")
    case_search_fields: list = ["number"]  # searched for everyone; the phone only by roles that call
    action_form_template = ""
    invalid_form_status = 200  # of an action form shown again with errors

    # --- hooks the app's admin fills in -------------------------------------------------------

    def case_action_form(self, action, case, user, data=None) -> forms.Form:
        raise NotImplementedError

    def extra_tools(self, request, case) -> list:
        """The buttons besides the actions and the note (part, corrective action…): dicts of label and url."""
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

    # --- what the kit decides -----------------------------------------------------------------

    @property
    def action_specs(self):
        return self.case_spec.actions

    @property
    def action_conflicts(self) -> tuple:
        """Refusals meaning "the case changed meanwhile" (the API answers them 409)."""
        return (cases.ActionNotAllowed, *self.case_spec.conflicts, ConcurrentTransition, TransitionNotAllowed)

    def available_actions(self, case, user) -> list:
        """The names of the actions ``user`` may take on ``case`` now (``cases.actions_for``)."""
        return cases.actions_for(self.case_spec, case, user)

    def may_note(self, case, user) -> bool:
        return cases.may_note(self.case_spec, case, user)

    # --- permissions: the case changes only through services ----------------------------------

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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

    def _contact_typed(self, case, show: Callable[[str, str], str]) -> str:
        """The contact typed with a public case, and whether the case was matched to someone else."""
        if not getattr(case, "contact_phone", ""):
            return "—"
        typed = ", ".join(
            part
            for part in (case.contact_name, show("phone", case.contact_phone), show("email", case.contact_email))
            if part
        )
        if cases.contact_mismatch(case):
            return gettext(
                "Matched to existing customer %(customer)s by phone — contact typed: %(typed)s. "
                "Messages go to the contact typed."
            ) % {"customer": case.customer.name, "typed": typed}
        return typed

    @admin.display(description=_("contact typed"))
    def contact_typed(self, case):
        return self._contact_typed(case, lambda _field, value: value)

    @admin.display(description=_("contact typed"))
    def contact_typed_masked(self, case):
        return self._contact_typed(
            case, lambda field, value: mask_phone(value) if field == "phone" else mask_email(value)
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if can_see_contact(request.user):
            return fieldsets
        masked = {"customer_phone": "customer_phone_masked", "contact_typed": "contact_typed_masked"}
        # Only roles that call or visit customers see their numbers (004 §4.3).
        return [
            (
                name,
                {
                    **options,
                    "fields": [
                        tuple(masked.get(item, item) for item in field)
                        if isinstance(field, tuple)
                        else masked.get(field, field)
                        for field in options["fields"]
                    ],
                },
            )
            for name, options in fieldsets
        ]

    @admin.display(description=_("SLA clocks"))
    def sla_clocks(self, case):
        clocks = list(clocks_for(case).select_related("calendar"))
        spec = self.case_spec
        if not clocks:
            return "—"
        now = clock.now()
        specs = calendar_specs({item.calendar_id for item in clocks})
        rows = []
        for item in clocks:
            if item.state in OPEN_CLOCK_STATES:
                state = badges.badge_for(read_clock(item, now, specs), spec.clock_label).html()
            else:
                state = item.get_state_display()
            rows.append(
                (
                    spec.clock_label(item.name),
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
        tools = []
        if self.may_note(case, request.user):
            tools.append({"label": gettext("Add a note"), "url": self.admin_url("note", case.pk)})
        tools += self.extra_tools(request, case)
        if hasattr(case, "contact_phone") and cases.may_correct_customer(self.case_spec, request.user):
            tools.append({"label": gettext("Correct the customer"), "url": self.admin_url("customer", case.pk)})
        if self.case_spec.attachment_model is not None and cases.may_attach(self.case_spec, case, request.user):
            tools.append({"label": gettext("Attach a file"), "url": self.admin_url("attach", case.pk)})
        return {f"{self.case_name}_actions": actions, f"{self.case_name}_tools": tools}

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
            form = self.offered_action_form(action, case, request.user, request.POST)
            if form.is_valid():
                try:
                    # The transition and its message to the customer: one intent, one transaction.
                    case = cases.case_transition(
                        self.case_spec,
                        case=case,
                        action=action,
                        actor=request.user,
                        data=form.service_data(),
                        customer_message=form.cleaned_data.get("customer_message", ""),
                    )
                except PermissionDenied:
                    return self.action_denied(request, case, spec.label, form, context)
                except self.action_conflicts:
                    self.message_user(request, self.changed_message(spec.label), messages.WARNING)
                    return HttpResponseRedirect(change_url)
                except ValidationError as error:
                    apply_service_error(form, error)
                else:
                    self.message_user(request, self.done_message(case, spec.label), messages.SUCCESS)
                    self.action_done(request, case, action)
                    return HttpResponseRedirect(change_url)
        else:
            if action not in self.available_actions(case, request.user):
                self.message_user(request, self.changed_message(spec.label), messages.WARNING)
                return HttpResponseRedirect(change_url)
            form = self.offered_action_form(action, case, request.user)
        context = {**context, "form": form, **self.action_context(case, action, form)}
        return self.render_case_form(request, case, context, status=self.invalid_form_status if form.errors else 200)

    def offered_action_form(self, action, case, user, data=None) -> forms.Form:
        """The app's form of the action, without the customer message for those who may not write one."""
        form = self.case_action_form(action, case, user, data)
        if "customer_message" in form.fields and not cases.may_publish(self.case_spec, user):
            del form.fields["customer_message"]
        return form

    def note_view(self, request, object_id):
        case = self.case_or_none(request, object_id)
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.may_note(case, request.user):
            raise PermissionDenied
        form = NoteForm(request.POST or None)
        if not cases.may_publish(self.case_spec, request.user):
            del form.fields["public"]  # a note the customer reads is the service desk's (the service says so too)
        if request.method == "POST" and form.is_valid():
            try:
                cases.case_staff_note(
                    self.case_spec,
                    case=case,
                    body=form.cleaned_data["body"],
                    actor=request.user,
                    public=form.cleaned_data.get("public", False),
                )
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                self.message_user(request, gettext("Note added."), messages.SUCCESS)
                return HttpResponseRedirect(self.change_url(case))
        return self.render_labelled_form(request, case, gettext("Add a note"), form)

    def customer_view(self, request, object_id):
        """File the case under another customer (a wrong match by phone) → ``cases.case_customer_correct``."""
        spec = self.case_spec
        visible = customers_visible_to(request.user)

        class CustomerForm(forms.Form):
            customer = forms.ModelChoiceField(
                label=_("Customer"),
                queryset=visible,
                widget=forms.NumberInput,
                help_text=_("The id of the customer this case belongs to (see Customers)."),
            )

        def perform(case, data: dict):
            return cases.case_customer_correct(spec, case, customer=data["customer"], actor=request.user)

        return self.case_form_view(
            request,
            object_id,
            label=gettext("Correct the customer"),
            form_class=CustomerForm,
            allowed=lambda case, user: hasattr(case, "contact_phone") and cases.may_correct_customer(spec, user),
            perform=perform,
            not_now=gettext("The customer could not be changed now."),
            done=lambda case: gettext("The case is now filed under %(customer)s.") % {"customer": case.customer},
        )

    def attach_view(self, request, object_id):
        """A photo or document → ``cases.case_attach`` (checked by content, at most the kind's limit)."""
        case = self.case_or_none(request, object_id)
        if case is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not cases.may_attach(self.case_spec, case, request.user):
            raise PermissionDenied
        may_publish = cases.may_publish(self.case_spec, request.user)
        form = AttachmentForm(request.POST or None, request.FILES or None, may_publish=may_publish)
        if request.method == "POST" and form.is_valid():
            try:
                attachment = cases.case_attach(
                    self.case_spec,
                    case,
                    form.cleaned_data["file"],
                    by=request.user,
                    public=form.cleaned_data.get("public", False),
                )
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                self.message_user(
                    request, gettext("File %(name)s added.") % {"name": attachment.original_name}, messages.SUCCESS
                )
                return HttpResponseRedirect(self.change_url(case))
        return self.render_labelled_form(request, case, gettext("Attach a file"), form)

    def attachment_view(self, request, object_id, attachment_id):
        """Download one file of a case this user may see (the admin's own visibility rule)."""
        case = self.case_or_none(request, object_id)
        opts = self.case_spec.attachment_model._meta if self.case_spec.attachment_model else None
        if case is None or opts is None or not request.user.has_perm(f"{opts.app_label}.view_{opts.model_name}"):
            raise Http404
        attachment = case.attachments.filter(pk=attachment_id).first()
        if attachment is None:
            raise Http404
        return attachment_response(attachment)

    def get_urls(self):
        """The pages of every case (actions, note, files), named ``<app>_<model>_<view>``."""
        view = self.admin_site.admin_view
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        urls = [
            path("<path:object_id>/action/<str:action>/", view(self.action_view), name=f"{name}_action"),
            path("<path:object_id>/note/", view(self.note_view), name=f"{name}_note"),
            path("<path:object_id>/customer/", view(self.customer_view), name=f"{name}_customer"),
        ]
        if self.case_spec.attachment_model is not None:
            urls += [
                path("<path:object_id>/attach/", view(self.attach_view), name=f"{name}_attach"),
                path(
                    "<path:object_id>/attachment/<int:attachment_id>/",
                    view(self.attachment_view),
                    name=f"{name}_attachment",
                ),
            ]
        return [*urls, *super().get_urls()]

    # --- registering a case -------------------------------------------------------------------

    add_form_class: type[forms.Form] | None = None  # the app's registration form (``admin_site=`` kwarg)
    add_form_template = ""
    add_title = ""
    add_refused = _("You may not register this.")

    def register(self, request, form):
        """Call the kind's register service with the form's data; returns what it created."""
        raise NotImplementedError

    def registered_more(self, request, created) -> None:
        """Anything to tell after ``registered`` (a repeat linked to an open case…)."""

    def add_view(self, request, form_url="", extra_context=None):
        """A new case goes through the kind's register service (number, clocks, the customer's link)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = self.add_form_class(request.POST or None, admin_site=self.admin_site)
        if request.method == "POST" and form.is_valid():
            try:
                created = self.register(request, form)
            except PermissionDenied:
                form.add_error(None, self.add_refused)
            except ValidationError as error:
                apply_service_error(form, error)
            else:
                case = getattr(created, self.case_name)
                self.registered(request, case, created.tracking_url)
                self.registered_more(request, created)
                return HttpResponseRedirect(self.change_url(case))
        return self.render_add_form(request, form, self.add_title, self.add_form_template, extra_context)

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


# --- the admins around cases: read-only records, tasks finished through a service, SLA policies ------


class RecordAdmin(admin.ModelAdmin):
    """Rows written only by services (surveys, late-promise reports, staff records): staff read them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DoneStateFilter(admin.SimpleListFilter):
    """To do / done by ``done_at``; the app names the labels (``lookups``)."""

    title = _("state")
    parameter_name = "state"
    open_value, done_value = "open", "done"

    def queryset(self, request, queryset):
        if self.value() == self.open_value:
            return queryset.filter(done_at__isnull=True)
        if self.value() == self.done_value:
            return queryset.filter(done_at__isnull=False)
        return queryset


class TaskAdmin(RecordAdmin):
    """A task hanging off a case that staff finish through one service (a follow-up, a late promise).

    ``task_page`` (the subclass's) is its "done" page at ``<pk>/<task_route>/``, built with
    ``task_view``: 403 unless ``permitted``, back to the list when it is already done
    (``already_done``), the form's data to ``perform``, the service's "not now" refusal as "already
    done" too (someone finished it meanwhile). ``task_link_html`` is the list's button to it.
    """

    task_route = ""
    task_label = _("Mark done")

    def task_page(self, request, object_id):
        raise NotImplementedError

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_{self.task_route}"
        view = self.admin_site.admin_view(self.task_page)
        return [path(f"<path:object_id>/{self.task_route}/", view, name=name), *super().get_urls()]

    def task_link_html(self, task):
        if task.done_at:
            return "✓"
        url = self.admin_url_for(self.task_route, task.pk)
        return format_html('<a class="button" href="{}">{}</a>', url, self.task_label)

    def task_view(
        self,
        request,
        object_id,
        *,
        permitted: bool,
        form,
        perform,
        already_done: str,
        done: str,
        template: str,
        context: Callable[[Any], dict],
        back: str = "",
    ):
        task = self.get_object(request, unquote(object_id))
        if task is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)  # type: ignore[attr-defined]
        if not permitted:
            raise PermissionDenied
        back = back or self.admin_url_for("changelist")
        if task.done_at:
            return told(self, request, already_done, messages.INFO, back)
        form = form(task)
        response = submit_to_service(
            request,
            form,
            lambda data: perform(task, data),
            refused=(cases.ActionNotAllowed,),
            on_refused=lambda: told(self, request, already_done, messages.INFO, back),
            on_done=lambda _result: told(self, request, done, messages.SUCCESS, back),
        )
        if response is not None:
            return response
        page = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": task,
            "form": form,
            "media": self.media + form.media,
            **context(task),
        }
        return TemplateResponse(request, template, page)

    def admin_url_for(self, view: str, *args) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}", args=args)


class CaseSlaPolicyAdmin(admin.ModelAdmin):
    """The promises of a kind of case: allowed times shown in the largest whole unit."""

    @admin.display(description=_("first response"), ordering="first_response_minutes")
    def first_response(self, policy):
        return duration_label(policy.first_response_minutes)

    @admin.display(description=_("on site"), ordering="on_site_minutes")
    def on_site(self, policy):
        return duration_label(policy.on_site_minutes)

    @admin.display(description=_("resolution"), ordering="resolution_minutes")
    def resolution(self, policy):
        return duration_label(policy.resolution_minutes)
