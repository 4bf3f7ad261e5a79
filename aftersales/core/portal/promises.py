"""How a policy's allowed time reads to a customer: "within 2 hours", "within 8 working hours".

The portal states promises from the SLA policies themselves (each kind's ``portal_promises``), never
from hand-written text, so that what the home page says is what the clocks enforce. A policy counted
on a working-hours calendar says so: 24 working hours is three working days, not one.
"""

from __future__ import annotations

from django.utils.translation import ngettext

MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR


def within(minutes: int, *, working_time: bool) -> str:
    """The customer's words for an allowed time of ``minutes``."""
    if working_time:
        if minutes % MINUTES_PER_HOUR == 0:
            hours = minutes // MINUTES_PER_HOUR
            return ngettext("within %(n)d working hour", "within %(n)d working hours", hours) % {"n": hours}
        return ngettext("within %(n)d working minute", "within %(n)d working minutes", minutes) % {"n": minutes}
    if minutes % MINUTES_PER_DAY == 0 and minutes > MINUTES_PER_DAY:
        days = minutes // MINUTES_PER_DAY
        return ngettext("within %(n)d day", "within %(n)d days", days) % {"n": days}
    if minutes % MINUTES_PER_HOUR == 0:
        hours = minutes // MINUTES_PER_HOUR
        return ngettext("within %(n)d hour", "within %(n)d hours", hours) % {"n": hours}
    return ngettext("within %(n)d minute", "within %(n)d minutes", minutes) % {"n": minutes}


def policy_within(policy, field: str) -> str | None:
    """``within`` for one target of an SLA policy row (None when the policy sets no such target)."""
    minutes = getattr(policy, field, None) if policy is not None else None
    if not minutes:
        return None
    return within(minutes, working_time=not policy.calendar.always_open)
