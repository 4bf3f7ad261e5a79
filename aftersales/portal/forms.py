"""The forms every tracking page offers; a kind adds its own through its trackable's ``portal_forms``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.core.portal.fields import AttachmentFileField

TEXT_MAX = 5000


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Your message"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4}))


class ConfirmForm(forms.Form):
    """Confirming takes no input; the form is there for the CSRF check and one shape of view."""


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("What is still wrong?"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )


class AttachForm(forms.Form):
    file = AttachmentFileField(label=_("Photo or document"), help_text=_("JPEG, PNG, WebP or PDF, at most 10 MB."))
