"""The SLA sweep: the one place where deadlines turn into warnings and breaches.

Celery beat runs it every 60 s (``core.sla_sweep``) and ``manage.py sla_sweep`` runs it by hand;
both call :func:`sla_sweep`. Each batch is one transaction over at most ``batch_size`` clocks taken
from the partial index on ``next_check_at`` with ``FOR UPDATE SKIP LOCKED``, so overlapping sweeps
share the work instead of waiting on each other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction

from .. import clock as wall_clock
from ..calendars.services import calendar_specs
from ..models import SlaClock
from .recording import record_due_events, save_checked

logger = logging.getLogger(__name__)


@dataclass
class SweepResult:
    clocks_checked: int = 0
    warnings: int = 0
    breaches: int = 0
    batches: int = 0


def _sweep_batch(now: datetime, batch_size: int, result: SweepResult) -> bool:
    """One batch in one transaction; False when nothing was due."""
    with transaction.atomic():
        clocks = list(
            SlaClock.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(next_check_at__lte=now)
            .order_by("next_check_at")[:batch_size]
        )
        if not clocks:
            return False
        specs = calendar_specs({clock.calendar_id for clock in clocks})
        recorded = record_due_events(clocks, specs, now)
        save_checked(clocks)
    result.batches += 1
    result.clocks_checked += len(clocks)
    result.breaches += sum(event.is_breach for event in recorded)
    result.warnings += sum(not event.is_breach for event in recorded)
    return True


def sla_sweep(*, now: datetime | None = None, batch_size: int | None = None) -> SweepResult:
    """Record every warning and breach due by ``now`` exactly once; returns what was recorded."""
    now = now or wall_clock.now()
    batch_size = batch_size or settings.SLA_SWEEP_BATCH_SIZE
    result = SweepResult()
    # Every processed clock leaves with next_check_at > now or NULL, so this loop ends.
    while _sweep_batch(now, batch_size, result):
        pass
    if result.warnings or result.breaches:
        logger.info(
            "sla sweep recorded %d warning(s) and %d breach(es) over %d clock(s)",
            result.warnings,
            result.breaches,
            result.clocks_checked,
            extra={"warnings": result.warnings, "breaches": result.breaches, "clocks": result.clocks_checked},
        )
    return result
