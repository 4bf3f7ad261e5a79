"""Input fields the customer's forms and the APIs share: uploads, and the staff API's customer reference."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..cases import MAX_INTAKE_ATTACHMENTS
from ..phones import clean_mobile_phone
from ..services import clean_phone
from ..uploads import validate_attachment

# What the file picker offers; the server checks the bytes whatever the browser sends.
ACCEPTED_FILES = "image/jpeg,image/png,image/webp,application/pdf,.jpg,.jpeg,.png,.webp,.pdf"
# The largest value a PostgreSQL bigint primary key holds; larger ids are simply not found.
MAX_ID = 2**63 - 1


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern); each is checked like a single one."""

    def __init__(self, *args, max_files: int = MAX_INTAKE_ATTACHMENTS, **kwargs):
        self.max_files = max_files
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPTED_FILES}))
        kwargs.setdefault("validators", [validate_attachment])
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if len(items) > self.max_files:
            raise DjangoValidationError(
                _("Attach at most %(max)d files.") % {"max": self.max_files}, code="too_many_files"
            )
        if not items:
            return super().clean(None, initial) or []
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class AttachmentFileField(forms.FileField):
    """One photo or document, checked by its content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [validate_attachment])
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ACCEPTED_FILES}))
        super().__init__(*args, **kwargs)


def intake_attachments_field(**kwargs) -> serializers.ListField:
    """The ``attachments`` of a public intake endpoint (multipart only)."""
    return serializers.ListField(
        child=serializers.FileField(validators=[validate_attachment]),
        max_length=MAX_INTAKE_ATTACHMENTS,
        required=False,
        default=list,
        help_text="multipart only: up to 5 photos or documents (PDF, JPEG, PNG, WebP; 10 MB each)",
        **kwargs,
    )


class PhoneSerializerField(serializers.CharField):
    """A phone number, normalised (``core.services.clean_phone``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 50)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return clean_phone(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error


class MobilePhoneSerializerField(serializers.CharField):
    """The public's phone number: a real mobile number (``core.phones.clean_mobile_phone``), normalised."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return clean_mobile_phone(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages, code="invalid_phone") from error


class NewCustomerSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    phone = PhoneSerializerField()
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "description": "an existing customer's id"},
            {
                "type": "object",
                "description": "found by normalised phone number, else registered",
                "properties": {"name": {"type": "string"}, "phone": {"type": "string"}, "email": {"type": "string"}},
                "required": ["name", "phone"],
            },
        ]
    }
)
class CustomerRefField(serializers.Field):
    """``"customer": 42`` (an existing customer) or ``{"name", "phone", "email"?}`` (found by phone, or new).

    The value is what ``cases.customer_for_reference`` takes: ``{"id": …}`` or ``{"new": {…}}``.
    """

    default_error_messages = {
        "invalid": _("Give a customer id or an object with name and phone."),
        "unknown": _("No customer with this id."),
    }

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int) or (isinstance(data, str) and data.isascii() and data.isdigit()):
            customer_id = int(data)
            if not 1 <= customer_id <= MAX_ID:
                self.fail("unknown")
            return {"id": customer_id}
        if isinstance(data, dict):
            nested = NewCustomerSerializer(data=data)
            if not nested.is_valid():
                raise serializers.ValidationError(nested.errors)
            return {"new": nested.validated_data}
        self.fail("invalid")

    def to_representation(self, value):  # pragma: no cover - input only
        return value
