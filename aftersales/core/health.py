"""``/healthz``: can this process reach what it needs? For load balancers and monitoring."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min

from . import clock as wall_clock
from .models import OutboxMessage, SlaClock, UnreachedBreach


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _broker() -> str:
    from aftersales.celery import app

    with app.connection_for_write() as conn:
        # Fail fast: a load balancer's probe must not hang on a dead broker.
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    return "ok"


def _lag_figures(report: dict) -> None:
    """How far behind the sweep and the outbox are; both grow only when no worker or beat runs."""
    now = wall_clock.now()
    oldest_due = SlaClock.objects.filter(next_check_at__lte=now).aggregate(oldest=Min("next_check_at"))["oldest"]
    report["sla_sweep_lag_seconds"] = int((now - oldest_due).total_seconds()) if oldest_due else 0
    # Celery gets a minute to pick a message up before it counts as waiting.
    waiting = OutboxMessage.objects.filter(
        status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now - timedelta(minutes=1)
    ).aggregate(count=Count("id"), oldest=Min("next_attempt_at"))
    report["outbox_pending"] = waiting["count"]
    report["outbox_oldest_wait_seconds"] = int((now - waiting["oldest"]).total_seconds()) if waiting["oldest"] else 0
    report["unreached_breaches"] = UnreachedBreach.objects.filter(acknowledged_at__isnull=True).count()


def _stalls(report: dict) -> list[str]:
    """Why deadlines are not being enforced right now (no beat, no worker): each a reason for 503."""
    reasons = []
    if report["sla_sweep_lag_seconds"] > settings.HEALTH_SWEEP_LAG_SECONDS:
        reasons.append("sla_sweep_lagging")
    if report["outbox_oldest_wait_seconds"] > settings.HEALTH_OUTBOX_WAIT_SECONDS:
        reasons.append("outbox_stuck")
    return reasons


def health_report() -> tuple[bool, dict]:
    """Checks the database and the broker, the lag figures and the alarms operators alert on.

    ``status`` is ``ok``, ``degraded`` or ``unhealthy``, and ``reasons`` says why it is not ok:

    - ``database`` / ``broker`` unreachable: unhealthy, 503;
    - ``sla_sweep_lagging`` (the oldest due clock waits longer than ``HEALTH_SWEEP_LAG_SECONDS``) or
      ``outbox_stuck`` (a message waits longer than ``HEALTH_OUTBOX_WAIT_SECONDS``): degraded, 503 —
      no beat or no worker runs, so deadlines silently go late, and that must page an operator;
    - ``unreached_breaches`` (breaches that reached nobody, not yet acknowledged): degraded, but 200 —
      the machinery works and taking the process out would help nobody; a person must act.
    """
    report: dict = {}
    reasons = []
    for name, check in (("database", _database), ("broker", _broker)):
        try:
            report[name] = check()
        except Exception as error:  # any failure means "unhealthy", with the reason shown
            report[name] = f"error: {type(error).__name__}"
            reasons.append(f"{name}_unreachable")
    unreachable = bool(reasons)
    if report["database"] == "ok":
        _lag_figures(report)
        reasons += _stalls(report)
        if report["unreached_breaches"]:
            reasons.append("unreached_breaches")
    healthy = not unreachable and not (set(reasons) & {"sla_sweep_lagging", "outbox_stuck"})
    report["status"] = "unhealthy" if unreachable else "degraded" if reasons else "ok"
    report["reasons"] = reasons
    report["version"] = settings.SPECTACULAR_SETTINGS["VERSION"]
    return healthy, report
