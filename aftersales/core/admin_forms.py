"""Forms the staff admins of cases share. They only collect input: every write goes through services."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from .models import Customer
from .services import clean_phone
from .uploads import validate_attachment

NOTE_MAX = 5000


def apply_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def submit_to_service(
    request,
    form: forms.BaseForm,
    perform: Callable[[dict], object],
    *,
    refused: tuple[type[Exception], ...],
    on_refused: Callable[[], object],
    on_done: Callable[[object], object],
):
    """The POST half of an admin page whose form calls one service.

    With a valid form, ``perform(cleaned_data)`` runs: the service's ValidationError goes onto the
    form, its "not now" refusal (``refused``) to ``on_refused()``, success to ``on_done(result)``.
    Returns the response to send, or None to show the form (again).
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        result = perform(form.cleaned_data)
    except refused:
        return on_refused()
    except ValidationError as error:
        apply_service_error(form, error)
        return None
    return on_done(result)


def told(modeladmin, request, text: str, level: int, url: str) -> HttpResponseRedirect:
    """Say ``text`` on the next page and go to ``url``."""
    modeladmin.message_user(request, text, level)
    return HttpResponseRedirect(url)


class CaseActionForm(forms.Form):
    """What every action on a case takes: an internal note, and optionally a message for the customer.

    The app's form takes its case (``ticket=``, ``complaint=``) and then calls ``arrange()``.
    """

    note = forms.CharField(
        label=_("Internal note"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    customer_message = forms.CharField(
        label=_("Message to the customer"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional; shown on the customer's tracking page."),
    )
    note_help_text = ""  # who reads the note, in the app's words
    note_required = False
    reason_label = _("Reason")

    def arrange(self) -> None:
        # The action's own fields first, then the note and the message.
        self.order_fields([name for name in self.fields if name not in ("note", "customer_message")])
        self.fields["note"].help_text = self.note_help_text
        if self.note_required:
            self.fields["note"].required = True
            self.fields["note"].label = self.reason_label

    def service_data(self) -> dict:
        return {"note": self.cleaned_data.get("note", "")}


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        validators=[validate_attachment],
        help_text=_("A photo or document: JPEG, PNG, WebP or PDF, at most 10 MB."),
    )
    public = forms.BooleanField(
        label=_("Visible to the customer"),
        required=False,
        help_text=_("Leave unticked for an internal file."),
    )

    def __init__(self, *args, may_publish: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_publish:  # like public notes: the service desk writes to the customer
            del self.fields["public"]


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 4}))
    public = forms.BooleanField(
        label=_("Visible to the customer"),
        required=False,
        help_text=_("Leave unticked for an internal note."),
    )


class CaseCreateForm(forms.Form):
    """The customer of a case staff register: an existing one, or a new one found by phone or registered.

    The app's form adds its own fields after these and names its model (``case_model``) for the
    customer search widget; ``customer_reference()`` is what its register service takes.
    """

    case_model: type
    new_phone_help = _("If a customer with this phone number exists, the case is added to them.")

    customer = forms.ModelChoiceField(
        label=_("Existing customer"),
        queryset=Customer.objects.all(),
        required=False,
        help_text=_("Search by name (or phone, if you may see phone numbers)."),
    )
    new_customer_name = forms.CharField(label=_("New customer: name"), max_length=200, required=False)
    new_customer_phone = forms.CharField(label=_("New customer: phone"), max_length=40, required=False)
    new_customer_email = forms.EmailField(label=_("New customer: email"), required=False)

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["customer"]
        field.widget = AutocompleteSelect(self.case_model._meta.get_field("customer"), admin_site)
        field.widget.choices = field.choices  # a widget set after the field needs the field's choices
        self.fields["new_customer_phone"].help_text = self.new_phone_help

    def clean_new_customer_phone(self) -> str:
        phone = self.cleaned_data["new_customer_phone"]
        return clean_phone(phone) if phone.strip() else ""

    def clean(self):
        cleaned = super().clean()
        has_new = cleaned.get("new_customer_name", "").strip() and cleaned.get("new_customer_phone")
        if cleaned.get("customer") is None and "new_customer_phone" not in self.errors and not has_new:
            raise ValidationError(
                _("Choose an existing customer, or give the new customer's name and phone number."),
                code="no_customer",
            )
        return cleaned

    def customer_reference(self):
        """The chosen customer, or the new one to find by phone or register (``cases.customer_for_reference``)."""
        data = self.cleaned_data
        if data["customer"] is not None:
            return data["customer"]
        return {
            "new": {
                "name": data["new_customer_name"],
                "phone": data["new_customer_phone"],
                "email": data["new_customer_email"],
            }
        }


class SlaPolicyChecks:
    """The checks of an SLA policy form's JSON fields (mixed into a ModelForm); the app names its rungs."""

    ladder_rungs: tuple = ()

    def clean_thresholds(self):
        value = self.cleaned_data["thresholds"]
        if not isinstance(value, list) or not all(isinstance(item, int) and 0 < item < 100 for item in value):
            raise ValidationError(_("Give a list of whole percentages between 1 and 99."))
        return sorted(set(value))

    def clean_escalation_ladder(self):
        value = self.cleaned_data["escalation_ladder"]
        if not isinstance(value, list) or not value or not all(item in self.ladder_rungs for item in value):
            raise ValidationError(_("Give a list of rungs from: %(rungs)s.") % {"rungs": ", ".join(self.ladder_rungs)})
        return value
