"""The one source of the current time (DESIGN-SLA.md).

Code asks ``now()`` and passes the value into queries instead of using SQL ``NOW()``, so tests
(time-machine) and operators' tools control time in one place.
"""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
