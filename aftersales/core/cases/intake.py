"""Taking a case in: whose it is, which unit, the files sent with it — the same for every kind.

The customer is found by normalised phone number, else created, and nothing a stranger types
changes an existing customer's record; an unknown serial from the public is kept in the description
instead of refusing the request; the files are all checked before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from ..attachments import attachment_check
from ..models import Customer
from ..selectors import customer_by_phone
from ..services import customer_for_phone

# Kept in the description, so staff search one way for units to register.
UNREGISTERED_SERIAL = "序列号未登记 / serial number not registered"
# Photos sent with a new request or complaint (the case holds up to its ``max_attachments`` in all).
MAX_INTAKE_ATTACHMENTS = 5


def customer_language() -> str:
    """The language the visitor reads the portal in becomes a new customer's, so messages arrive in it."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def customer_for_request(*, name: str, phone: str, email: str = "", language: str | None = None) -> Customer:
    """The customer with this phone number (however it was typed), or a new one.

    An existing customer's name and email are left alone: an anonymous form must not be able to
    change someone's record. Numbers are not unique; the earliest customer with it wins.
    """
    return customer_for_phone(
        name=name.strip(), phone=phone, email=(email or "").strip(), language=language or customer_language()
    )


def intake_attachments_check(uploads: Sequence, *, field_name: str = "attachments") -> None:
    """Every file of a new case, checked before anything is written (ValidationError, codes kept)."""
    if len(uploads) > MAX_INTAKE_ATTACHMENTS:
        raise ValidationError(
            {
                field_name: ValidationError(
                    _("Attach at most %(max)d files to a request.") % {"max": MAX_INTAKE_ATTACHMENTS},
                    code="too_many_files",
                )
            }
        )
    for upload in uploads:
        attachment_check(upload, field=field_name)


def unregistered_serial_note(serial: str) -> str:
    return f"[{UNREGISTERED_SERIAL}: {serial}]"


def known_unit(serial: str, find: Callable[[str], Any]) -> Any | None:
    """For staff: the registered unit of a typed serial (``find`` looks it up); None when empty.

    ValidationError when nobody registered it: staff register the unit first (the public's unknown
    serials are kept in the description instead).
    """
    serial = (serial or "").strip()
    if not serial:
        return None
    unit = find(serial)
    if unit is None:
        raise ValidationError(
            _("No registered unit has this serial number. Register the unit first, or leave the serial empty."),
            code="unknown_serial",
        )
    return unit


def customer_for_reference(reference, *, user) -> Customer:
    """The customer a staff member names for a new case, inside the caller's transaction.

    ``reference``: a ``Customer``; ``{"id": …}``; or ``{"new": {"name", "phone", "email"?}}`` — a new
    customer's phone finds the one already registered with it (nothing typed here changes that
    record), otherwise the customer is registered if ``user`` may add customers (PermissionDenied).
    """
    if isinstance(reference, Customer):
        return reference
    if "id" in reference:
        customer = Customer.objects.filter(pk=reference["id"]).first()
        if customer is None:
            raise ValidationError({"customer": _("No customer with this id.")})
        return customer
    new = reference["new"]
    existing = customer_by_phone(new["phone"])
    if existing is not None:
        return existing
    if user is None or not user.has_perm("core.add_customer"):
        raise PermissionDenied(_("You may not register new customers."))
    return customer_for_request(name=new["name"], phone=new["phone"], email=new.get("email", ""))
