"""Forms of the complaints staff admin. They only collect input: every write goes through services."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.core.admin_forms import (  # noqa: F401 (re-exported)
    NOTE_MAX,
    CaseActionForm,
    CaseCreateForm,
    NoteForm,
    apply_service_error,
)
from aftersales.core.cases import known_unit
from tickets import selectors as ticket_selectors
from warranty.selectors import unit_by_serial

from .actions import INVESTIGATE, RESPOND
from .choices import (
    Category,
    CategoryGroup,
    Cause,
    Channel,
    CompensationKind,
    ResolutionType,
    RootCause,
    Severity,
    Status,
    category_group,
)
from .models import Complaint

DATETIME_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def grouped_categories() -> list:
    """The category tree of 004 §2.1 as option groups: Product / Service / Other."""
    groups = []
    for group in CategoryGroup:
        leaves = [(value, label) for value, label in Category.choices if category_group(value) == group.value]
        groups.append((group.label, leaves))
    return groups


def _users_with(*permissions: str):
    """Active staff who hold one of these permissions through a group, directly, or as superusers."""
    condition = Q(is_superuser=True)
    for permission in permissions:
        app_label, codename = permission.split(".", 1)
        condition |= Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label)
        condition |= Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
    return get_user_model().objects.filter(condition, is_active=True, is_staff=True).distinct().order_by("username")


def complaint_handlers():
    """Who can be a complaint's dedicated owner (actions.may_own), in one query."""
    return _users_with(RESPOND, INVESTIGATE)


def _user_label(user) -> str:
    name = user.get_full_name()
    return f"{name} ({user.username})" if name else user.username


def user_choices(users, *, blank: str | None = None) -> list:
    choices = [(user.username, _user_label(user)) for user in users]
    return [("", blank), *choices] if blank is not None else choices


# --- transitions ----------------------------------------------------------------------------


class ActionForm(CaseActionForm):
    note_help_text = _("Kept in the complaint's timeline for staff.")

    def __init__(self, *args, complaint: Complaint, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.complaint, self.user = complaint, user
        self.arrange()


class ReasonForm(ActionForm):
    note_required = True


class ObjectionForm(ReasonForm):
    reason_label = _("What the customer does not accept")


class ContactAttemptForm(ReasonForm):
    reason_label = _("How and when the customer was tried")


class AcknowledgeForm(ActionForm):
    promised_by = forms.DateTimeField(
        label=_("Expected handling time"),
        required=False,
        input_formats=DATETIME_INPUT,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Told to the customer. Empty: the resolution promise of the complaint's severity."),
    )
    owner = forms.ChoiceField(label=_("Owner"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = user_choices(complaint_handlers(), blank=_("Me (whoever answers first)"))
        if self.complaint.owner_id:
            self.fields["owner"].initial = self.complaint.owner.username

    def service_data(self) -> dict:
        data = super().service_data()
        if self.cleaned_data.get("promised_by"):
            data["promised_by"] = self.cleaned_data["promised_by"].isoformat()
        if self.cleaned_data.get("owner"):
            data["owner"] = self.cleaned_data["owner"]
        return data


class ClassifyForm(ReasonForm):
    reason_label = _("Why it is reclassified")
    category = forms.ChoiceField(label=_("Category"))
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = grouped_categories()
        self.fields["category"].initial = self.complaint.category
        self.fields["severity"].initial = self.complaint.severity
        self.fields["severity"].help_text = _("Major and critical complaints go to the service manager at once.")

    def service_data(self) -> dict:
        data = super().service_data()
        data["category"] = self.cleaned_data["category"]
        data["severity"] = self.cleaned_data["severity"]
        return data


class AssignForm(ActionForm):
    owner = forms.ChoiceField(label=_("Owner"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = user_choices(complaint_handlers(), blank="")
        if self.complaint.owner_id:
            self.fields["owner"].initial = self.complaint.owner.username

    def service_data(self) -> dict:
        return {**super().service_data(), "owner": self.cleaned_data["owner"]}


class ProposeResolutionForm(ActionForm):
    cause = forms.ChoiceField(label=_("Cause"), choices=Cause.choices, widget=forms.RadioSelect)
    root_causes = forms.MultipleChoiceField(
        label=_("Root causes"),
        choices=RootCause.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("At least one, unless the complaint was not substantiated."),
    )
    findings = forms.CharField(label=_("Findings"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 4}))
    responsible_staff = forms.ChoiceField(
        label=_("Staff member concerned"),
        required=False,
        help_text=_("Only for a service failure: goes on that person's record when the complaint is closed."),
    )
    resolution_type = forms.ChoiceField(label=_("Resolution"), choices=ResolutionType.choices)
    resolution = forms.CharField(
        label=_("Resolution details"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The customer sees this and confirms or objects."),
    )
    compensation_kind = forms.ChoiceField(
        label=_("Compensation"), choices=[("", "—"), *CompensationKind.choices], required=False
    )
    compensation_amount = forms.DecimalField(
        label=_("Compensation amount"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("1000000"),
        decimal_places=2,
        initial=Decimal("0"),
    )

    def __init__(self, *args, limit: Decimal | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        staff = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")
        self.fields["responsible_staff"].choices = user_choices(staff, blank="—")
        if limit is not None:
            self.fields["compensation_amount"].help_text = _(
                "Above %(limit)s the service manager approves before the customer sees it."
            ) % {"limit": limit}

    def service_data(self) -> dict:
        data = super().service_data()
        cleaned = self.cleaned_data
        amount = cleaned.get("compensation_amount")
        data.update(
            {
                "cause": cleaned["cause"],
                "root_causes": list(cleaned.get("root_causes") or []),
                "findings": cleaned["findings"],
                "responsible_staff": cleaned.get("responsible_staff") or "",
                "resolution_type": cleaned["resolution_type"],
                "resolution": cleaned["resolution"],
                "compensation_kind": cleaned.get("compensation_kind") or "",
                "compensation_amount": str(amount if amount is not None else Decimal("0")),
            }
        )
        return data


class CloseForm(ActionForm):
    """After the customer confirmed: the return visit; without confirmation: why it is closed anyway."""

    return_visit = forms.CharField(
        label=_("Return visit"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How the customer was called back and whether they are satisfied (004 §2.5)."),
    )
    close_reason = forms.CharField(
        label=_("Closed without confirmation because"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The customer did not answer after repeated contact attempts."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["close_reason" if self.complaint.status == Status.CONFIRMED else "return_visit"]

    def service_data(self) -> dict:
        data = super().service_data()
        for name in ("return_visit", "close_reason"):
            if name in self.cleaned_data:
                data[name] = self.cleaned_data[name]
        return data


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "acknowledge": AcknowledgeForm,
    "classify": ClassifyForm,
    "assign": AssignForm,
    "propose_resolution": ProposeResolutionForm,
    "reject_resolution": ReasonForm,
    "object": ObjectionForm,
    "contact_attempt": ContactAttemptForm,
    "close": CloseForm,
    "reopen": ReasonForm,
    "withdraw": ReasonForm,
    "unlink": ReasonForm,
}


def action_form_class(action: str) -> type[ActionForm]:
    return ACTION_FORMS.get(action, ActionForm)


# --- other forms on a complaint -------------------------------------------------------------


class CorrectiveActionAddForm(forms.Form):
    description = forms.CharField(
        label=_("Action"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What changes so that the root cause does not come back."),
    )
    owner = forms.ChoiceField(label=_("Owner"))
    due_at = forms.DateTimeField(
        label=_("Due"),
        input_formats=DATETIME_INPUT,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        staff = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")
        self.fields["owner"].choices = user_choices(staff, blank="")

    def clean_owner(self):
        return get_user_model().objects.filter(username=self.cleaned_data["owner"], is_active=True).first()


class CorrectiveCompleteForm(forms.Form):
    note = forms.CharField(label=_("What was done"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3}))


class CorrectiveVerifyForm(forms.Form):
    EFFECTIVE, NOT_EFFECTIVE = "effective", "not_effective"
    verdict = forms.ChoiceField(
        label=_("Did it work?"),
        choices=[(EFFECTIVE, _("Effective: verified")), (NOT_EFFECTIVE, _("Not effective: back to the owner"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("How the effect was checked"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    new_due_at = forms.DateTimeField(
        label=_("New due time"),
        required=False,
        input_formats=DATETIME_INPUT,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Only when it was not effective."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("verdict") == self.NOT_EFFECTIVE and not cleaned.get("new_due_at"):
            self.add_error("new_due_at", _("Set a new due time for the next attempt."))
        return cleaned

    @property
    def effective(self) -> bool:
        return self.cleaned_data["verdict"] == self.EFFECTIVE


class BreachExplainForm(forms.Form):
    explanation = forms.CharField(
        label=_("Why was it late?"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    remedy = forms.CharField(
        label=_("What was done about it?"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class ComplaintCreateForm(CaseCreateForm):
    """Register a complaint taken by phone, letter, visit or a third-party platform (004 §2.1)."""

    case_model = Complaint
    new_phone_help = _("If a customer with this phone number exists, the complaint is added to them.")

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    category = forms.ChoiceField(label=_("Category"))
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.GENERAL)
    description = forms.CharField(label=_("Description"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 5}))
    serial = forms.CharField(label=_("Unit serial number"), max_length=64, required=False)
    ticket_numbers = forms.CharField(
        label=_("Related ticket numbers"),
        max_length=500,
        required=False,
        help_text=_("Separated by commas or spaces, e.g. T2026112300042."),
    )
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    allow_duplicate = forms.BooleanField(
        label=_("Handle separately although it repeats an open complaint"),
        required=False,
        help_text=_("Otherwise a complaint of the same customer, unit and category open within 30 days is linked."),
    )
    duplicate_reason = forms.CharField(
        label=_("Why it is handled separately"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = grouped_categories()
        self.fields["owner"].choices = user_choices(complaint_handlers(), blank=_("Nobody yet"))

    def clean_serial(self):
        return known_unit(self.cleaned_data["serial"], unit_by_serial)

    def clean_owner(self):
        username = self.cleaned_data["owner"]
        return get_user_model().objects.filter(username=username).first() if username else None

    def clean_ticket_numbers(self) -> list:
        numbers = [item.upper() for item in self.cleaned_data["ticket_numbers"].replace(",", " ").split() if item]
        if len(numbers) > 20:
            raise ValidationError(_("At most 20 tickets."))
        known = {ticket.number for ticket in ticket_selectors.tickets_by_numbers(numbers)}
        unknown = sorted(set(numbers) - known)
        if unknown:
            raise ValidationError(_("Unknown ticket numbers: %(numbers)s") % {"numbers": ", ".join(unknown)})
        return numbers  # and checked against the customer by services.complaint_register

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("allow_duplicate") and not cleaned.get("duplicate_reason", "").strip():
            self.add_error("duplicate_reason", _("Say why this complaint is handled separately."))
        return cleaned
