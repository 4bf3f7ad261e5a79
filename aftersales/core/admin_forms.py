"""Forms the staff admins of cases share. They only collect input: every write goes through services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NOTE_MAX = 5000


def apply_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 4}))
    public = forms.BooleanField(
        label=_("Visible to the customer"),
        required=False,
        help_text=_("Leave unticked for an internal note."),
    )


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
