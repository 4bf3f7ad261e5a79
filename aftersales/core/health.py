"""``/healthz``: can this process reach what it needs? For load balancers and monitoring."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Min

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


def health_report() -> tuple[bool, dict]:
    """Checks the database and the broker; adds the lag figures and the alarms operators alert on.

    ``status`` is ``ok``, ``degraded`` or ``unhealthy``. Degraded — breaches that reached nobody
    and are not yet acknowledged (``unreached_breaches``) — still answers 200: the process serves
    requests well, and a load balancer taking it out would help nobody; monitoring alerts on the
    status. Only an unreachable database or broker makes it unhealthy (503).
    """
    report: dict = {}
    healthy = True
    for name, check in (("database", _database), ("broker", _broker)):
        try:
            report[name] = check()
        except Exception as error:  # any failure means "unhealthy", with the reason shown
            report[name] = f"error: {type(error).__name__}"
            healthy = False
    if report["database"] == "ok":
        now = wall_clock.now()
        oldest_due = SlaClock.objects.filter(next_check_at__lte=now).aggregate(oldest=Min("next_check_at"))["oldest"]
        # How far behind the sweep is: should stay under a couple of minutes with beat running.
        report["sla_sweep_lag_seconds"] = int((now - oldest_due).total_seconds()) if oldest_due else 0
        report["outbox_pending"] = OutboxMessage.objects.filter(
            status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now - timedelta(minutes=1)
        ).count()
        report["unreached_breaches"] = UnreachedBreach.objects.filter(acknowledged_at__isnull=True).count()
    degraded = bool(report.get("unreached_breaches"))
    report["status"] = "unhealthy" if not healthy else "degraded" if degraded else "ok"
    report["version"] = settings.SPECTACULAR_SETTINGS["VERSION"]
    return healthy, report
