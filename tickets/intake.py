"""Registering a request from the public portal and the public API: whose it is, which unit, its files.

The rules are the case kit's (aftersales/core/cases/intake.py): the customer is found by normalised
phone number, else created, and nothing a stranger types changes an existing customer's record; an
unknown serial from the public is kept in the description instead of refusing the request; every
file is checked before anything is written. Staff register requests with ``services.ticket_register``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction

from aftersales.core.attachments import files_discarded_on_error
from aftersales.core.cases import (
    MAX_INTAKE_ATTACHMENTS,
    UNREGISTERED_SERIAL,
    customer_for_request,
    customer_language,
    intake_attachments_check,
    typed_contact,
    unregistered_serial_note,
)
from warranty.selectors import unit_by_serial

from .choices import Channel, Priority
from .models import TicketAttachment
from .safety import safety_words_in
from .services import CreatedTicket, ticket_attach, ticket_create, ticket_safety_flag

__all__ = ["MAX_REQUEST_ATTACHMENTS", "UNREGISTERED_SERIAL", "SubmittedRequest", "request_submit"]

# Photos sent with a new request (the ticket holds up to services.MAX_ATTACHMENTS in all).
MAX_REQUEST_ATTACHMENTS = MAX_INTAKE_ATTACHMENTS


@dataclass(frozen=True)
class SubmittedRequest:
    created: CreatedTicket
    serial_registered: bool | None  # None: no serial given; False: unknown serial, kept in the description
    attachments: list[TicketAttachment] = field(default_factory=list)
    # Danger named in the description (``tickets.safety``): triaged as critical, advice shown at once.
    safety_words: list[str] = field(default_factory=list)


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
    intake_link: bool = True,
) -> SubmittedRequest:
    """A request from the public portal (no account): find or create the customer, then the ticket.

    ``attachments`` (photos, documents; at most ``MAX_REQUEST_ATTACHMENTS``) are all checked first
    and stored in the same transaction: one bad file refuses the whole request, and nothing of it
    — customer, ticket or file — is left behind.

    A description naming a danger (smoke, sparks, leaking gas …) makes the request critical, whatever
    the customer chose, and records the words for the staff who triage it.
    """
    attachments = list(attachments)
    intake_attachments_check(attachments)
    serial = (serial or "").strip()
    safety_words = safety_words_in(description)
    if safety_words:
        priority = Priority.CRITICAL
    unit = unit_by_serial(serial) if serial else None
    if serial and unit is None:
        # Not attached, but not lost either: staff find and register the unit.
        description = f"{description}\n\n{unregistered_serial_note(serial)}"
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
            intake_link=intake_link,
            contact=typed_contact(name=name, phone=phone, email=email, language=customer_language()),
        )
        if safety_words:
            ticket_safety_flag(created.ticket, safety_words)
        for upload in attachments:
            stored.append(ticket_attach(created.ticket, upload, by_customer=True))
    return SubmittedRequest(
        created=created,
        serial_registered=(unit is not None) if serial else None,
        attachments=stored,
        safety_words=safety_words,
    )
