"""Customer phone numbers: stored normalised, and registered once however many requests race.

Customers are found by phone (the earliest with the number wins; numbers are not unique, a family
or a shop may share one). Registering is find-or-create, so two requests from one new number at
once — a double-clicked portal form, a phone call logged while an import runs — would both find
nothing and both create. ``lock_phones`` takes a transaction-scoped PostgreSQL advisory lock per
number: the second request waits for the first to commit and then finds its customer.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext_lazy as _

_PHONE_NOISE = re.compile(r"[\s\-().]")

# Numbers are hashed into this many locks, so an import of 50,000 new numbers takes at most this
# many (PostgreSQL's lock table holds 64 per connection by default, shared); two numbers sharing a
# lock only ever wait briefly for each other.
PHONE_LOCK_BUCKETS = 512
# The first key of the two-key advisory lock: phone locks never meet another use of advisory locks.
_PHONE_LOCK_SPACE = 0x70686F6E  # "phon"


def normalize_phone(raw: str) -> str:
    """Digits and an optional leading +, however the number was typed ("138 0013-8000")."""
    return _PHONE_NOISE.sub("", raw or "")


# The public may give a mobile number only (an SMS carries their link); fixed-line-or-mobile is what
# the numbering plans of some countries (the US, Canada) cannot tell apart.
_MOBILE_TYPES = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE})
MOBILE_PHONE_ERROR = _(
    "Enter a valid mobile number, for example 138 0013 8000. "
    "A number outside mainland China starts with + and the country code, for example +852 5123 4567."
)


def clean_mobile_phone(raw: str) -> str:
    """A real mobile number as the public types it, stored the way customers are found by phone.

    Validated with Google's numbering plans (``phonenumbers``): a number of the default region
    (``PHONE_DEFAULT_REGION``, mainland China) as its national digits ("13800138000", as every
    stored customer), any other in international form ("+447700900123"). ValidationError
    (``invalid_phone``) otherwise: "12345", "138 0013 8000 999999", a landline.
    """
    text = (raw or "").strip()
    region = getattr(settings, "PHONE_DEFAULT_REGION", "CN")
    try:
        number = phonenumbers.parse(text, region) if 0 < len(text) <= 40 else None
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in _MOBILE_TYPES
    ):
        raise ValidationError(MOBILE_PHONE_ERROR, code="invalid_phone")
    national = phonenumbers.national_significant_number(number)
    if phonenumbers.region_code_for_number(number) == region:
        return national
    return f"+{number.country_code}{national}"


def lock_phones(phones: Iterable[str]) -> None:
    """Hold the registration locks of these numbers until the caller's transaction ends.

    Taken in ascending order, so two imports locking overlapping numbers cannot deadlock. SQLite
    (``make run``) has no advisory locks; it runs one writing transaction at a time anyway.
    """
    if connection.vendor != "postgresql":
        return
    buckets = sorted({zlib.crc32(normalize_phone(phone).encode()) % PHONE_LOCK_BUCKETS for phone in phones})
    if buckets:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, bucket) FROM unnest(%s::int[]) AS bucket ORDER BY bucket",
                [_PHONE_LOCK_SPACE, buckets],
            )
