"""Forms of the tickets staff admin. They only collect input: every write goes through services."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from aftersales.core.admin_forms import (  # noqa: F401 (re-exported)
    NOTE_MAX,
    AttachmentForm,
    CaseActionForm,
    CaseCreateForm,
    NoteForm,
    apply_service_error,
)
from aftersales.core.cases import known_unit
from warranty.choices import FaultCause
from warranty.selectors import unit_by_serial

from .actions import MAX_TRAVEL_KM
from .admin_queries import certified_technicians
from .choices import Channel, FollowUpKind, FunctionalTest, Priority, TicketType
from .models import FollowUp, StandbyLoan, StandbyUnit, Technician, Ticket
from .selectors import dispatch_candidates

# --- transitions ----------------------------------------------------------------------------


class ActionForm(CaseActionForm):
    note_help_text = _("Kept in the ticket's timeline for staff; the customer does not see it.")

    def __init__(self, *args, ticket: Ticket, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket, self.user = ticket, user
        self.excluded: list[str] = []
        self.arrange()


class ReasonForm(ActionForm):
    note_required = True


class DiagnoseForm(ActionForm):
    diagnosis = forms.CharField(label=_("Diagnosis"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 4}))
    fault_cause = forms.ChoiceField(
        label=_("Fault cause"),
        choices=FaultCause.choices,
        initial=FaultCause.QUALITY_DEFECT,
        help_text=_("Decides what the warranty pays."),
    )
    component = forms.ChoiceField(label=_("Faulty component"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        unit = self.ticket.unit
        if unit is None:
            del self.fields["component"]
            return
        components = unit.product_model.components.order_by("name")
        self.fields["component"].choices = [("", _("Whole unit / not a listed component"))] + [
            (component.code, component.name) for component in components
        ]
        self.fields["component"].help_text = _("Some components have a longer warranty.")

    def service_data(self) -> dict:
        data = super().service_data()
        data["diagnosis"] = self.cleaned_data["diagnosis"]
        data["fault_cause"] = self.cleaned_data["fault_cause"]
        if self.cleaned_data.get("component"):
            data["component"] = self.cleaned_data["component"]
        return data


class PartLineForm(forms.Form):
    part_number = forms.CharField(label=_("Part number"), max_length=64)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    # No initial value: an untouched extra line must stay "unchanged" so it is skipped.
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1000)
    unit_price = forms.DecimalField(
        label=_("Unit price"), min_value=Decimal("0"), max_value=Decimal("100000"), decimal_places=2
    )


PartLineFormSet = forms.formset_factory(PartLineForm, extra=3, max_num=50, validate_max=True)


class QuoteForm(ActionForm):
    labour_hours = forms.DecimalField(
        label=_("Labour hours"), min_value=Decimal("0"), max_value=Decimal("1000"), decimal_places=2, initial=0
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parts = PartLineFormSet(self.data or None, prefix="parts")

    def is_valid(self) -> bool:
        form_valid = super().is_valid()
        return self.parts.is_valid() and form_valid

    def service_data(self) -> dict:
        data = super().service_data()
        data["labour_hours"] = str(self.cleaned_data["labour_hours"])
        data["parts"] = [
            {
                "part_number": line["part_number"],
                "description": line.get("description", ""),
                "quantity": line["quantity"],
                "unit_price": str(line["unit_price"]),
            }
            for line in self.parts.cleaned_data
            if line
        ]
        return data


class DispatchForm(ActionForm):
    technician = forms.ChoiceField(label=_("Technician"), widget=forms.RadioSelect)
    appointment_at = forms.DateTimeField(
        label=_("Appointment"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("When the technician will visit, if agreed with the customer."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        suggestion = dispatch_candidates(self.ticket)
        # Best first, each with why: skill, region, load (REQUIREMENTS §3, dispatch).
        self.fields["technician"].choices = [
            (
                candidate.technician.user.username,
                f"{candidate.technician} — {'; '.join(str(reason) for reason in candidate.reasons)}",
            )
            for candidate in suggestion.candidates
        ]
        # Uncertified technicians cannot be dispatched (001 三(二)1); say who and why not.
        self.excluded = [
            f"{item.technician}: {'; '.join(str(reason) for reason in item.reasons)}" for item in suggestion.excluded
        ]
        current = self.ticket.assignee
        if current is not None and any(
            value == current.username for value, _label in self.fields["technician"].choices
        ):
            self.fields["technician"].initial = current.username
        elif suggestion.candidates:
            self.fields["technician"].initial = suggestion.candidates[0].technician.user.username
        if not suggestion.candidates:
            self.fields["technician"].help_text = _("No certified technician is available.")

    def service_data(self) -> dict:
        data = super().service_data()
        data["technician"] = self.cleaned_data["technician"]
        if self.cleaned_data.get("appointment_at"):
            data["appointment_at"] = self.cleaned_data["appointment_at"].isoformat()
        return data


class ResolveForm(ActionForm):
    resolution = forms.CharField(
        label=_("Resolution"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was done; the customer sees it."),
    )
    functional_test = forms.ChoiceField(
        label=_("Functional test"),
        choices=FunctionalTest.choices,
        initial=FunctionalTest.PASSED,
        widget=forms.RadioSelect,
    )

    labour_hours = forms.DecimalField(
        label=_("Labour hours (this visit)"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("1000"),
        decimal_places=2,
        help_text=_("Optional; added to the ticket's labour."),
    )
    travel_km = forms.IntegerField(
        label=_("Travel (km, this visit)"),
        required=False,
        min_value=0,
        max_value=MAX_TRAVEL_KM,
        help_text=_("Optional; added to the ticket's travel."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.ticket.ticket_type == TicketType.CONSULTATION:
            self.fields["functional_test"].initial = FunctionalTest.NOT_APPLICABLE

    def service_data(self) -> dict:
        data = super().service_data()
        data["resolution"] = self.cleaned_data["resolution"]
        data["functional_test"] = self.cleaned_data["functional_test"]
        for name in ("labour_hours", "travel_km"):
            if self.cleaned_data.get(name) is not None:
                data[name] = str(self.cleaned_data[name])
        return data


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "diagnose": DiagnoseForm,
    "request_quote": QuoteForm,
    "dispatch": DispatchForm,
    "resolve": ResolveForm,
    "cancel": ReasonForm,
    "reopen": ReasonForm,
}


def action_form_class(action: str) -> type[ActionForm]:
    return ACTION_FORMS.get(action, ActionForm)


# --- other forms on a ticket ----------------------------------------------------------------


class PartForm(forms.Form):
    part_number = forms.CharField(label=_("Part number"), max_length=64)
    description = forms.CharField(label=_("Description"), max_length=200)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=1000, initial=1)
    unit_cost = forms.DecimalField(
        label=_("Unit cost"), min_value=Decimal("0"), max_value=Decimal("1000000"), decimal_places=2
    )
    replacement_serial = forms.CharField(label=_("Serial of the new part"), max_length=64, required=False)


class WorkForm(forms.Form):
    """One visit's labour and travel (services.ticket_record_work), added to the ticket's totals."""

    labour_hours = forms.DecimalField(
        label=_("Labour hours"), required=False, min_value=Decimal("0"), max_value=Decimal("1000"), decimal_places=2
    )
    travel_km = forms.IntegerField(label=_("Travel (km)"), required=False, min_value=0, max_value=MAX_TRAVEL_KM)
    note = forms.CharField(
        label=_("Internal note"), required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not (cleaned.get("labour_hours") or cleaned.get("travel_km")):
            raise ValidationError(_("Give the labour hours or the travel kilometres."), code="nothing_to_record")
        return cleaned


class TechnicianChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        region = obj.region.name if obj.region_id else _("no region")
        return _("%(name)s (%(region)s, %(count)d open tickets)") % {
            "name": obj,
            "region": region,
            "count": obj.open_tickets,
        }


class BulkAssignForm(forms.Form):
    technician = TechnicianChoiceField(
        label=_("Technician"),
        queryset=Technician.objects.none(),
        help_text=_("Only certified technicians can be assigned."),
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = certified_technicians()


class TicketCreateForm(CaseCreateForm):
    """Register a request taken by phone, letter, visit or WeChat (REQUIREMENTS §1, agent)."""

    case_model = Ticket
    new_phone_help = _("If a customer with this phone number exists, the request is added to them.")

    ticket_type = forms.ChoiceField(label=_("Type"), choices=TicketType.choices, initial=TicketType.REPAIR)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    serial = forms.CharField(label=_("Unit serial number"), max_length=64, required=False)
    description = forms.CharField(label=_("Description"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 5}))

    def clean_serial(self):
        return known_unit(self.cleaned_data["serial"], unit_by_serial)


class FollowUpCompleteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    explanation = forms.CharField(
        label=_("Why was it late?"), required=False, max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    remedy = forms.CharField(
        label=_("What was done about it?"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, follow_up: FollowUp, **kwargs):
        super().__init__(*args, **kwargs)
        self.follow_up = follow_up
        if follow_up.kind == FollowUpKind.BREACH_REPORT:
            # A late promise is closed with why it was late and what was done (000 P1§5).
            self.fields["explanation"].required = True
            self.fields["remedy"].required = True
        else:
            del self.fields["explanation"]
            del self.fields["remedy"]


class StandbyLendForm(forms.Form):
    ticket = forms.ModelChoiceField(label=_("Ticket"), queryset=Ticket.objects.all())
    standby_unit = forms.ModelChoiceField(
        label=_("Standby unit"), queryset=StandbyUnit.objects.filter(is_available=True).select_related("product_model")
    )

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["ticket"]
        field.widget = AutocompleteSelect(StandbyLoan._meta.get_field("ticket"), admin_site)
        field.widget.choices = field.choices
