"""The part of every kind's intake form that says who the customer is (found by phone, else registered)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..phones import clean_mobile_phone


class IntakeForm(forms.Form):
    """Name, phone and email; the kind's form adds its fields and orders them (``field_order``)."""

    phone_help = _("We send the link to follow your request to this number.")

    name = forms.CharField(label=_("Your name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("Email (optional)"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].help_text = self.phone_help

    def clean_phone(self) -> str:
        # A real mobile number: the link to follow the case goes there by SMS.
        return clean_mobile_phone(self.cleaned_data["phone"])
