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

from django.db import connection

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
