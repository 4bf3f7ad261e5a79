"""Registering a request: whose it is, which unit, then ``services.ticket_create``.

Shared by the portal's request form and the admin's add-ticket form, following the rules of the
public API (tickets/api/public.py): the customer is found by normalised phone number, else created,
and nothing a stranger types changes an existing customer's record; an unknown serial from the
public is kept in the description instead of refusing the request.

A candidate for ``tickets.services`` (it writes); kept apart because that module is owned elsewhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from aftersales.core.attachments import attachment_check, files_discarded_on_error
from aftersales.core.models import Customer
from aftersales.core.services import customer_for_phone
from warranty.models import RegisteredUnit
from warranty.selectors import unit_by_serial

from .choices import Channel, Priority
from .models import TicketAttachment
from .services import CreatedTicket, ticket_attach, ticket_create

# The same marker the public API writes, so staff search one way for units to register.
UNREGISTERED_SERIAL = "序列号未登记 / serial number not registered"
# Photos sent with a new request (the ticket holds up to services.MAX_ATTACHMENTS in all).
MAX_REQUEST_ATTACHMENTS = 5


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


def unit_for_serial(serial: str) -> RegisteredUnit | None:
    """For staff: the registered unit of a typed serial; None when empty; ValidationError when unknown."""
    serial = (serial or "").strip()
    if not serial:
        return None
    unit = unit_by_serial(serial)
    if unit is None:
        raise ValidationError(
            _("No registered unit has this serial number. Register the unit first, or leave the serial empty."),
            code="unknown_serial",
        )
    return unit


@dataclass(frozen=True)
class SubmittedRequest:
    created: CreatedTicket
    serial_registered: bool | None  # None: no serial given; False: unknown serial, kept in the description
    attachments: list[TicketAttachment] = field(default_factory=list)


def request_attachments_check(uploads: Sequence, *, field_name: str = "attachments") -> None:
    """Every file of a new request, checked before anything is written (ValidationError, codes kept)."""
    if len(uploads) > MAX_REQUEST_ATTACHMENTS:
        raise ValidationError(
            {
                field_name: ValidationError(
                    _("Attach at most %(max)d files to a request.") % {"max": MAX_REQUEST_ATTACHMENTS},
                    code="too_many_files",
                )
            }
        )
    for upload in uploads:
        attachment_check(upload, field=field_name)


def request_submit(
    *,
    ticket_type: str,
    name: str,
    phone: str,
    description: str,
    email: str = "",
    serial: str = "",
    priority: str = Priority.NORMAL,
    channel: str = Channel.WEB,
    attachments: Sequence = (),
) -> SubmittedRequest:
    """A request from the public portal (no account): find or create the customer, then the ticket.

    ``attachments`` (photos, documents; at most ``MAX_REQUEST_ATTACHMENTS``) are all checked first
    and stored in the same transaction: one bad file refuses the whole request, and nothing of it
    — customer, ticket or file — is left behind.
    """
    attachments = list(attachments)
    request_attachments_check(attachments)
    serial = (serial or "").strip()
    unit = unit_by_serial(serial) if serial else None
    if serial and unit is None:
        # Not attached, but not lost either: staff find and register the unit.
        description = f"{description}\n\n[{UNREGISTERED_SERIAL}: {serial}]"
    with files_discarded_on_error() as stored, transaction.atomic():
        customer = customer_for_request(name=name, phone=phone, email=email)
        created = ticket_create(
            customer=customer,
            ticket_type=ticket_type,
            description=description,
            channel=channel,
            priority=priority,
            unit=unit,
            actor=None,
        )
        for upload in attachments:
            stored.append(ticket_attach(created.ticket, upload, by_customer=True))
    return SubmittedRequest(
        created=created, serial_registered=(unit is not None) if serial else None, attachments=stored
    )
