"""Files on a case: who may add them, the limits, the event, who is told."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import clock
from ..attachments import attachment_check, attachment_create, files_discarded_on_error
from ..notifications import announce_file, users_in_role
from .contacts import case_contact
from .errors import ActionNotAllowed
from .events import event_append
from .locking import lock_case
from .rules import may_attach, may_publish
from .spec import CaseSpec


def customer_may_attach(spec: CaseSpec, case) -> bool:
    """The customer adds files while the case is open to them and below the limit."""
    if spec.attachment_model is None or case.status in spec.closed_to_customer:
        return False
    return case.attachments.count() < spec.max_attachments


def attach_check(spec: CaseSpec, case, *, by, public: bool) -> None:
    """``PermissionDenied`` unless staff ``by`` may add this file (and show it to the customer)."""
    if not may_attach(spec, case, by):
        raise PermissionDenied(_("You may not add files here."))
    if public and not may_publish(spec, by):
        raise PermissionDenied(_("Only the service desk shows files to the customer."))


def case_attach(
    spec: CaseSpec,
    case,
    upload,
    *,
    by=None,
    by_customer: bool = False,
    public: bool | None = False,
    now: datetime | None = None,
):
    """Check and store a photo or document on the case and note it on the timeline.

    ``by_customer``: sent through the tracking link (``by`` is None); always shown to the customer.
    Staff (``by``) need ``may_attach``; their files are internal unless ``public`` (a desk decision,
    ``may_publish``). At most ``spec.max_attachments``. Raises ValidationError (bad file, too many:
    400), PermissionDenied (403), ActionNotAllowed (409: closed to the customer). Nothing is stored
    unless everything succeeds.
    """
    now = now or clock.now()
    if by_customer:
        by, public = None, True
    else:
        public = bool(public)
        attach_check(spec, case, by=by, public=public)
    attachment_check(upload)  # before any lock or write: a bad file changes nothing
    with files_discarded_on_error() as stored, transaction.atomic():
        case = lock_case(spec.model, case.pk, select_related=spec.lock_related)
        if by_customer and case.status in spec.closed_to_customer:
            raise ActionNotAllowed(spec.wording.closed_to_files)
        if case.attachments.count() >= spec.max_attachments:
            raise ValidationError(
                {
                    "file": ValidationError(
                        spec.wording.too_many_files, code="too_many_files", params={"max": spec.max_attachments}
                    )
                }
            )
        attachment = attachment_create(
            model=spec.attachment_model,  # type: ignore[arg-type]  # a kind with files names its CaseAttachment
            upload=upload,
            by=by,
            by_customer=by_customer,
            now=now,
            public=public,
            **{spec.case_field: case},
        )
        stored.append(attachment)
        event_append(
            spec,
            case,
            "attachment_added",
            actor=by,
            by_customer=by_customer,
            note=attachment.original_name,
            data={"attachment": attachment.pk, "name": attachment.original_name, "size": attachment.size},
            public=public,
            now=now,
        )
        announce_file(
            attachment=attachment,
            number=case.number,
            staff_url=spec.staff_url(case),
            key=f"{spec.kind}:{case.pk}:file:{attachment.pk}",
            # A kind without a customer behind it (incidents) shares files among staff only.
            customer=case_contact(case) if spec.trackable else None,
            responsible=spec.people.responsible(case),
            desk=lambda: spec.people.desk(users_in_role),
        )
    return attachment
