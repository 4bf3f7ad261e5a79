"""The customer's forms. They check input with friendly, translated messages; the services check again."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from aftersales.core.services import clean_phone
from aftersales.core.uploads import validate_attachment

from ..choices import Priority, TicketType
from ..intake import MAX_REQUEST_ATTACHMENTS

TEXT_MAX = 5000
# What the public may ask for (CONTRACT.md §4); maintenance visits are planned by staff.
PUBLIC_TYPES = [TicketType.REPAIR, TicketType.INSTALLATION, TicketType.CONSULTATION, TicketType.RETURN_EXCHANGE]


# What the file picker offers; the server checks the bytes whatever the browser sends.
ACCEPTED_FILES = "image/jpeg,image/png,image/webp,application/pdf,.jpg,.jpeg,.png,.webp,.pdf"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern); each is checked like a single one."""

    def __init__(self, *args, max_files: int, **kwargs):
        self.max_files = max_files
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPTED_FILES}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if len(items) > self.max_files:
            raise ValidationError(_("Attach at most %(max)d files.") % {"max": self.max_files}, code="too_many_files")
        if not items:
            return super().clean(None, initial) or []
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class ServiceRequestForm(forms.Form):
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
    name = forms.CharField(label=_("Your name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=40,
        help_text=_("We send the link to follow your request to this number."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("Email (optional)"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"})
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
        max_files=MAX_REQUEST_ATTACHMENTS,
        validators=[validate_attachment],
        help_text=_("Up to 5 files: photos of the problem or of the invoice. JPEG, PNG, WebP or PDF, 10 MB each."),
    )
    urgent = forms.BooleanField(
        label=_("It is urgent (for example, the product cannot be used at all)"),
        required=False,
    )

    def clean_phone(self) -> str:
        try:
            return clean_phone(self.cleaned_data["phone"])
        except ValidationError as error:
            raise ValidationError(_("Enter a phone number of 5 to 20 digits, for example 138 0013 8000.")) from error

    @property
    def priority(self) -> str:
        # The public may say "urgent" (high); staff raise a request to critical after checking it.
        return Priority.HIGH if self.cleaned_data.get("urgent") else Priority.NORMAL


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ConfirmForm(forms.Form):
    """Confirming the fix takes no input; the form is there for the CSRF check and one shape of view."""


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


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("What is still wrong?"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class QuoteAnswerForm(forms.Form):
    ACCEPT, DECLINE = "approve_quote", "decline_quote"
    answer = forms.ChoiceField(choices=[(ACCEPT, _("Accept")), (DECLINE, _("Decline"))], widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("A note for us (optional)"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AttachForm(forms.Form):
    file = forms.FileField(
        label=_("Photo or document"),
        validators=[validate_attachment],
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED_FILES}),
        help_text=_("JPEG, PNG, WebP or PDF, at most 10 MB."),
    )
