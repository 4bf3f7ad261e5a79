"""What each staff role sees and may search of a customer: one declared policy (004 §4.3).

``CUSTOMER_FIELDS`` says, per field, what a user *with* the contact permission
(``core.view_customer_contact``: agents, technicians, supervisors) and what any *other* signed-in
user (managers, coordinators) sees: the value, a mask, or nothing. A user who is not signed in (or
who may not see this customer at all) sees nothing. A field is searchable exactly where it is shown
in full — searching a masked field would confirm guesses of the hidden characters, one digit per
request — so the same table drives the customer API, ``core.selectors.customer_list``, the case
lists' ``case_search_condition`` and the admin's search boxes.

Use it through ``customer_privacy(user)`` (decided once per user object)::

    policy = customer_privacy(request.user)
    policy.shows("phone")                       # Shown.SHOWN / MASKED / HIDDEN
    policy.value("phone", customer.phone)       # the value, masked, or None when hidden
    policy.customer(customer)                   # the summary dict of CUSTOMER_SUMMARY_SCHEMA
    policy.apply(data)                          # mask/hide the contact keys of a dict in place
    policy.search_condition(term, path="customer__", fields=("phone",))  # a Q; empty Q() = nothing
    policy.admin_search_fields(("name", "email", "phone"), path="")      # ModelAdmin.search_fields

``CustomerPrivacy.nothing()`` is the policy of someone who may not see the customer at all (every
field hidden), e.g. the owner of a unit whose customer is not visible to the user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Q

from .phones import normalize_phone

CONTACT_PERMISSION = "core.view_customer_contact"
# Shorter digit strings match too many numbers to be a search, and say little to anyone.
MIN_PHONE_DIGITS = 4


class Shown(StrEnum):
    SHOWN = "shown"
    MASKED = "masked"
    HIDDEN = "hidden"


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits (the customer can still recognise their number)."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def mask_address(address: str) -> str:
    return "" if not address else address[:6] + "…"


def mask_email(email: str) -> str:
    """``z***@example.com``: enough for the customer to recognise, not enough to write to."""
    if not email or "@" not in email:
        return ""
    local, domain = email.rsplit("@", 1)
    return f"{local[:1]}***@{domain}"


def _contains(field: str) -> Callable[[str, str], Q | None]:
    return lambda term, path: Q(**{f"{path}{field}__icontains": term})


def _exact(field: str) -> Callable[[str, str], Q | None]:
    return lambda term, path: Q(**{f"{path}{field}__iexact": term})


def _phone(term: str, path: str) -> Q | None:
    """Numbers are stored normalised: "138 0013-8000" finds 13800138000, and so does "8000"."""
    phone = normalize_phone(term)
    digits = phone.removeprefix("+")
    if len(digits) < MIN_PHONE_DIGITS or not digits.isdigit():
        return None
    return Q(**{f"{path}phone__contains": phone})


@dataclass(frozen=True)
class FieldRule:
    contact: Shown  # users with CONTACT_PERMISSION (and superusers)
    others: Shown  # every other signed-in user
    mask: Callable[[str], str] | None = None
    search: Callable[[str, str], Q | None] | None = None  # (term, path) → condition; None: not searchable
    admin_lookup: str = ""  # the ModelAdmin.search_fields entry ("" = the field name: icontains)


SHOWN, MASKED, HIDDEN = Shown.SHOWN, Shown.MASKED, Shown.HIDDEN

# The policy. Names are not contact data: managers read reports by customer (004 §4.3).
CUSTOMER_FIELDS: dict[str, FieldRule] = {
    "name": FieldRule(contact=SHOWN, others=SHOWN, search=_contains("name")),
    "phone": FieldRule(contact=SHOWN, others=MASKED, mask=mask_phone, search=_phone),
    "email": FieldRule(contact=SHOWN, others=MASKED, mask=mask_email, search=_exact("email")),
    "address": FieldRule(contact=SHOWN, others=MASKED, mask=mask_address),
}


class Audience(StrEnum):
    CONTACT = "contact"
    OTHERS = "others"
    NOBODY = "nobody"


@dataclass(frozen=True)
class CustomerPrivacy:
    """The policy as it applies to one audience."""

    audience: Audience

    @classmethod
    def nothing(cls) -> CustomerPrivacy:
        return cls(Audience.NOBODY)

    def shows(self, field: str) -> Shown:
        if self.audience == Audience.NOBODY:
            return HIDDEN
        rule = CUSTOMER_FIELDS[field]
        return rule.contact if self.audience == Audience.CONTACT else rule.others

    def searchable(self, field: str) -> bool:
        return self.shows(field) == SHOWN and CUSTOMER_FIELDS[field].search is not None

    def value(self, field: str, raw: str | None) -> str | None:
        shown = self.shows(field)
        if shown == SHOWN:
            return raw
        mask = CUSTOMER_FIELDS[field].mask
        if shown == MASKED and raw is not None and mask is not None:
            return mask(raw)
        return None

    def apply(self, data: dict, fields: Iterable[str] | None = None) -> dict:
        """Mask or hide, in place, the policy's keys present in ``data`` (a serializer's output)."""
        for field in CUSTOMER_FIELDS if fields is None else fields:
            if field in data:
                data[field] = self.value(field, data[field])
        return data

    def customer(self, customer) -> dict:
        """A customer as staff screens and the API show it (``CUSTOMER_SUMMARY_SCHEMA``)."""
        return self.apply(
            {
                "id": customer.pk,
                "name": customer.name,
                "phone": customer.phone,
                "email": customer.email,
                "address": customer.address,
                "tier": customer.tier,
                "region": customer.region.code if customer.region_id else None,
            }
        )

    def search_condition(self, term: str, *, path: str = "", fields: Iterable[str] | None = None) -> Q:
        """Rows whose searchable ``fields`` match ``term`` (``path`` leads to the customer, e.g.
        ``"customer__"``); an empty ``Q()`` when no field may be searched with it — match nothing then."""
        condition = Q()
        for field in CUSTOMER_FIELDS if fields is None else fields:
            search = CUSTOMER_FIELDS[field].search
            if self.searchable(field) and search is not None and (match := search(term, path)) is not None:
                condition |= match
        return condition

    def admin_search_fields(self, fields: Iterable[str], *, path: str = "") -> list[str]:
        """The ``ModelAdmin.search_fields`` entries this audience may use, of ``fields``."""
        return [f"{path}{CUSTOMER_FIELDS[field].admin_lookup or field}" for field in fields if self.searchable(field)]


def _audience(user) -> Audience:
    if not (user is not None and user.is_authenticated and user.is_active):
        return Audience.NOBODY
    return Audience.CONTACT if user.has_perm(CONTACT_PERMISSION) else Audience.OTHERS


def customer_privacy(user) -> CustomerPrivacy:
    """The policy for ``user``, decided once per user object (a list page asks it for every row)."""
    cached = getattr(user, "_aftersales_customer_privacy", None)
    if cached is None:
        cached = CustomerPrivacy(_audience(user))
        if user is not None and getattr(user, "is_authenticated", False):
            user._aftersales_customer_privacy = cached
    return cached


def can_see_contact(user) -> bool:
    """Whether ``user`` sees every contact field of a customer in full."""
    policy = customer_privacy(user)
    return all(policy.shows(field) == SHOWN for field in CUSTOMER_FIELDS)


def customer_summary(customer, user) -> dict:
    """A customer as staff screens and the API show it, by the policy for ``user``."""
    return customer_privacy(user).customer(customer)


_CONTACT_VALUE = "masked or null (hidden) unless the user may see contact details"
# The OpenAPI shape of ``customer_summary`` (for ``extend_schema_field``).
CUSTOMER_SUMMARY_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string", "nullable": True},
        "phone": {"type": "string", "nullable": True, "description": _CONTACT_VALUE},
        "email": {"type": "string", "nullable": True, "description": _CONTACT_VALUE},
        "address": {"type": "string", "nullable": True, "description": _CONTACT_VALUE},
        "tier": {"type": "string"},
        "region": {"type": "string", "nullable": True},
    },
}
