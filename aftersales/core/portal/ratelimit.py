"""A fixed-window limit per client address for public forms, kept in Django's cache (Redis in production).

The address is found the way the REST API's throttles find it (``NUM_PROXIES``), so the portal and
the API agree on who a client is behind a proxy.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.throttling import BaseThrottle

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([a-z]+)\s*$")
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


def parse_rate(rate: str) -> Rate:
    """ "10/hour", "5/m", "100/2h" → how many per how many seconds."""
    match = _RATE.match(rate or "")
    if not match or match.group(3)[0] not in _PERIODS:
        raise ImproperlyConfigured(f"Rate {rate!r} is not like '10/hour'.")
    count, multiplier, unit = int(match.group(1)), int(match.group(2) or 1), match.group(3)[0]
    return Rate(count=count, seconds=multiplier * _PERIODS[unit])


def client_ident(request) -> str:
    return BaseThrottle().get_ident(request) or "unknown"


def _key(scope: str, ident: str, window: int) -> str:
    return f"portal-rate:{scope}:{ident}:{window}"


def rate_limit_hit(*, scope: str, ident: str, rate: str) -> bool:
    """Count one attempt; False when this attempt is over the limit of the current window."""
    limit = parse_rate(rate)
    window = int(time.time() // limit.seconds)
    key = _key(scope, ident, window)
    cache.add(key, 0, timeout=limit.seconds + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=limit.seconds + 60)
        count = 1
    return count <= limit.count


def rate_limit_reset(*, scope: str, ident: str, rate: str) -> None:
    """Forget the current window's attempts (operators unblocking an office, tests)."""
    limit = parse_rate(rate)
    cache.delete(_key(scope, ident, int(time.time() // limit.seconds)))
