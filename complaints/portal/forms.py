"""The customer's complaint forms. They check input with friendly, translated messages; the services check again."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.core.portal.fields import MultipleFileField
from aftersales.core.portal.forms import IntakeForm
from tickets import selectors as ticket_selectors

from ..admin_forms import grouped_categories

TEXT_MAX = 5000


class ComplaintForm(IntakeForm):
    phone_help = _("We send the link to follow your complaint to this number.")
    field_order = ["category", "name", "phone", "email", "serial", "ticket_number", "description", "photos"]

    category = forms.ChoiceField(
        label=_("What is your complaint about?"),
        help_text=_("Choose the closest; our staff correct it if needed."),
    )
    serial = forms.CharField(
        label=_("Serial number of the product (optional)"),
        max_length=64,
        required=False,
        help_text=_("On the label of the product, usually at the back or underneath."),
    )
    ticket_number = forms.CharField(
        label=_("Service request number (optional)"),
        max_length=20,
        required=False,
        help_text=_("If your complaint is about a repair or a visit, for example T2026112300042."),
    )
    description = forms.CharField(
        label=_("What happened?"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What went wrong, when, and what you would like us to do."),
    )
    photos = MultipleFileField(
        label=_("Photos or documents (optional)"),
        required=False,
        help_text=_(
            "Up to 5 files: photos of the problem, the invoice or a letter. JPEG, PNG, WebP or PDF, 10 MB each."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Please choose")), *grouped_categories()]

    def clean_ticket_number(self) -> str:
        # A mistyped number is caught here; whether it is the customer's own is decided at intake,
        # which says so on the thanks page without telling anyone whose request a number is.
        number = self.cleaned_data["ticket_number"].strip().upper()
        if number and not ticket_selectors.is_ticket_number(number):
            raise forms.ValidationError(
                _(
                    "A request number is the letter T and 13 digits, for example T2026112300042. "
                    "Check it, or leave this empty."
                )
            )
        return number


class ObjectForm(forms.Form):
    """The customer does not accept the proposed resolution: the investigation resumes (004 §2.4)."""

    reason = forms.CharField(
        label=_("What do you not accept, and what would you expect instead?"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
