"""Taking a complaint in from the public (portal form and public API): whose it is, about what.

The customer is found by normalised phone number, else created, with the case kit's rule for every
kind (aftersales/core/cases/intake.py): nothing a stranger types changes an existing customer's record. A
serial names a registered unit or is kept in the description; a ticket number is linked only when
that ticket belongs to the same customer, so nobody can attach themselves to someone else's case.
Severity is ``general`` from the public; staff raise it after triage (``classify``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction

from aftersales.core.attachments import files_discarded_on_error
from aftersales.core.cases import (
    customer_for_request,
    customer_language,
    intake_attachments_check,
    typed_contact,
    unregistered_serial_note,
)
from tickets import selectors as ticket_selectors
from warranty.selectors import unit_by_serial

from .choices import Channel
from .models import ComplaintAttachment
from .services import CreatedComplaint, complaint_attach, complaint_create


@dataclass(frozen=True)
class SubmittedComplaint:
    created: CreatedComplaint
    serial_registered: bool | None  # None: no serial given
    ticket_linked: bool | None  # None: no ticket number given
    attachments: list[ComplaintAttachment] = field(default_factory=list)


def complaint_submit(
    *,
    category: str,
    name: str,
    phone: str,
    description: str,
    email: str = "",
    serial: str = "",
    ticket_number: str = "",
    channel: str = Channel.ONLINE,
    attachments: Sequence = (),
    intake_link: bool = True,
) -> SubmittedComplaint:
    """``attachments`` (photos, documents; the same limits as a service request's) are checked
    first and stored in the same transaction: one bad file refuses the whole complaint."""
    attachments = list(attachments)
    intake_attachments_check(attachments)
    serial, ticket_number = (serial or "").strip(), (ticket_number or "").strip().upper()
    unit = unit_by_serial(serial) if serial else None
    notes = []
    if serial and unit is None:
        notes.append(unregistered_serial_note(serial))
    with files_discarded_on_error() as stored, transaction.atomic():
        customer = customer_for_request(name=name, phone=phone, email=email)
        ticket = ticket_selectors.ticket_of_customer(number=ticket_number, customer=customer) if ticket_number else None
        if ticket_number and ticket is None:
            notes.append(f"[服务单号 / ticket number: {ticket_number}]")
        created = complaint_create(
            customer=customer,
            category=category,
            description="\n\n".join([description.strip(), *notes]) if notes else description,
            channel=channel,
            unit=unit,
            tickets=[ticket] if ticket else [],
            intake_link=intake_link,
            contact=typed_contact(name=name, phone=phone, email=email, language=customer_language()),
        )
        for upload in attachments:
            stored.append(complaint_attach(created.complaint, upload, by_customer=True))
    return SubmittedComplaint(
        created=created,
        serial_registered=(unit is not None) if serial else None,
        ticket_linked=(ticket is not None) if ticket_number else None,
        attachments=stored,
    )
