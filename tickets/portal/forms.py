"""The customer's forms. They check input with friendly, translated messages; the services check again."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.core.portal.fields import MultipleFileField
from aftersales.core.portal.forms import IntakeForm

from ..choices import Priority, TicketType
from ..safety import client_patterns
from .promises import URGENT_PRIORITY, urgent_first_response

TEXT_MAX = 5000
# What the public may ask for (CONTRACT.md §4); maintenance visits are planned by staff.
PUBLIC_TYPES = [TicketType.REPAIR, TicketType.INSTALLATION, TicketType.CONSULTATION, TicketType.RETURN_EXCHANGE]


class ServiceRequestForm(IntakeForm):
    field_order = ["ticket_type", "serial", "name", "phone", "email", "description", "photos", "urgent"]

    ticket_type = forms.ChoiceField(
        label=_("What do you need?"),
        choices=[(choice.value, choice.label) for choice in PUBLIC_TYPES],
        initial=TicketType.REPAIR,
        widget=forms.RadioSelect,
    )
    serial = forms.CharField(
        label=_("Serial number (optional)"),
        max_length=64,
        required=False,
        help_text=_("On the label of the product, usually at the back or underneath."),
    )
    description = forms.CharField(
        label=_("What happened?"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What the product does or does not do, since when, and any error code shown."),
    )
    photos = MultipleFileField(
        label=_("Photos or documents (optional)"),
        required=False,
        help_text=_("Up to 5 files: photos of the problem or of the invoice. JPEG, PNG, WebP or PDF, 10 MB each."),
    )
    urgent = forms.BooleanField(
        label=_("It is urgent (for example, the product cannot be used at all)"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The box says what it gets: the first-response promise of the urgent priority's policy.
        if promise := urgent_first_response():
            self.fields["urgent"].label = _(
                "It is urgent (for example, the product cannot be used at all): we answer %(within)s"
            ) % {"within": promise}
        # The page's script shows the safety advice as soon as the description names a danger.
        self.fields["description"].widget.attrs["data-safety-words"] = json.dumps(client_patterns())

    @property
    def priority(self) -> str:
        # The public may say "urgent"; staff raise a request to critical after checking it, and safety
        # words in the description do so at once (intake.request_submit).
        return URGENT_PRIORITY if self.cleaned_data.get("urgent") else Priority.NORMAL


class RateForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with our service?"),
        coerce=int,
        choices=[(5, _("5 — very satisfied")), (4, "4"), (3, "3"), (2, "2"), (1, _("1 — very dissatisfied"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything you would like to tell us? (optional)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class QuoteAnswerForm(forms.Form):
    ACCEPT, DECLINE = "approve_quote", "decline_quote"
    answer = forms.ChoiceField(choices=[(ACCEPT, _("Accept")), (DECLINE, _("Decline"))], widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("A note for us (optional)"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
