"""Who hears about a case: the contact typed with it, else its customer (issue 14 item 2).

The public files a case with a name, a phone and an email; the case goes under the customer found by
that phone (``intake.customer_for_request``), which may be an existing customer with other details.
Every message about the case goes to what was typed with it — so another person's email never gets a
private link — and staff see both and may correct the customer (``case_customer_correct``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import clock
from ..models import Customer
from .events import event_append
from .locking import lock_case
from .spec import CaseSpec


@dataclass(frozen=True)
class Contact:
    """Where messages about a case go (``notifications.notify_customer`` reads phone, email, language)."""

    name: str
    phone: str
    email: str
    language: str


def typed_contact(*, name: str, phone: str, email: str = "", language: str = "") -> Contact:
    return Contact(
        name=(name or "").strip(),
        phone=phone,
        email=(email or "").strip(),
        language=language or settings.LANGUAGE_CODE,
    )


def contact_fields(contact: Contact | None) -> dict:
    """The case model's ``TypedContact`` fields for a new case (empty: staff chose the customer)."""
    if contact is None:
        return {}
    return {
        "contact_name": contact.name,
        "contact_phone": contact.phone,
        "contact_email": contact.email,
        "contact_language": contact.language,
    }


def case_contact(case) -> Contact:
    """The contact typed with the case when there is one, else the case's customer."""
    if getattr(case, "contact_phone", ""):
        return Contact(
            name=case.contact_name,
            phone=case.contact_phone,
            email=case.contact_email,
            language=case.contact_language or case.customer.language,
        )
    customer = case.customer
    return Contact(name=customer.name, phone=customer.phone, email=customer.email, language=customer.language)


def contact_mismatch(case) -> bool:
    """True when the case was matched to a customer whose details differ from what was typed."""
    if not getattr(case, "contact_phone", ""):
        return False
    customer = case.customer
    return (
        case.contact_name.strip() != customer.name.strip()
        or case.contact_email.strip().lower() != customer.email.strip().lower()
    )


def may_correct_customer(spec: CaseSpec, user) -> bool:
    return bool(
        user and user.is_active and user.has_perm(f"{spec.model._meta.app_label}.change_{spec.model._meta.model_name}")
    )


@transaction.atomic
def case_customer_correct(spec: CaseSpec, case, *, customer: Customer, actor, now=None):
    """File the case under ``customer`` instead (a wrong match by phone), keeping the typed contact.

    Staff who may change the kind's cases only (PermissionDenied); an internal event records from
    which customer to which.
    """
    if not may_correct_customer(spec, actor):
        raise PermissionDenied(_("You may not change the customer of this case."))
    now = now or clock.now()
    case = lock_case(spec.model, case.pk)
    if case.customer_id == customer.pk:
        raise ValidationError({"customer": _("The case is already filed under this customer.")})
    before = case.customer_id
    case.customer = customer
    case.save(update_fields=["customer", "updated_at"])
    event_append(
        spec,
        case,
        "customer_corrected",
        actor=actor,
        data={"from_customer": before, "to_customer": customer.pk},
        public=False,
        now=now,
    )
    return case
