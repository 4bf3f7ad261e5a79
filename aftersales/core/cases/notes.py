"""Staff notes and customer messages on a case: checked, locked, appended, told."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import clock
from ..notifications import notify_staff, users_in_role
from .events import MAX_NOTE, event_append
from .locking import lock_case
from .rules import may_note, may_publish
from .spec import CaseSpec


def clean_body(body, *, field: str = "body", message: str = "") -> str:
    """A note's or message's text: 1 to 5000 characters, no NUL (PostgreSQL text cannot hold it)."""
    body = body.strip() if isinstance(body, str) else ""
    if not body or len(body) > MAX_NOTE or "\x00" in body:
        raise ValidationError({field: message or _("Write a message of 1 to 5000 characters.")})
    return body


def note_check(spec: CaseSpec, case, actor, *, public: bool) -> None:
    """``PermissionDenied`` unless ``actor`` may write this note (and show it to the customer)."""
    if not may_note(spec, case, actor):
        raise PermissionDenied(_("You may not add notes here."))
    if public and not may_publish(spec, actor):
        raise PermissionDenied(_("Only the service desk writes to the customer."))


def note_append(spec: CaseSpec, case, *, body: str, actor, public: bool, now: datetime):
    """The note's event, for a caller that holds the case's lock and checked ``note_check``."""
    return event_append(spec, case, "note", actor=actor, note=body, public=public, now=now)


def case_staff_note(spec: CaseSpec, *, case, body: str, actor, public: bool = False, now: datetime | None = None):
    """A note by staff: internal, or ``public`` (shown on the customer's tracking page)."""
    body = clean_body(body, message=_("Write a note."))
    note_check(spec, case, actor, public=public)
    now = now or clock.now()
    with transaction.atomic():
        case = lock_case(spec.model, case.pk)
        return note_append(spec, case, body=body, actor=actor, public=public, now=now)


def staff_to_tell(spec: CaseSpec, case, members=users_in_role) -> list:
    """The case's named people, else its desk (``CasePeople``)."""
    return spec.people.responsible(case) or spec.people.desk(members)


def case_customer_message(spec: CaseSpec, *, case, body: str, now: datetime | None = None):
    """The customer writes through the tracking link; someone must read it, so they are told."""
    body = clean_body(body)
    now = now or clock.now()
    with transaction.atomic():
        case = lock_case(spec.model, case.pk, select_related=spec.lock_related)
        event = event_append(spec, case, "customer_message", by_customer=True, note=body, now=now)
        notify_staff(
            users=staff_to_tell(spec, case),
            key=f"{spec.kind}:{case.pk}:message:{event.pk}",
            template=spec.customer_message_template,
            context={"number": case.number, "body": body[:500], "url": spec.staff_url(case)},
        )
    return event
