"""Celery tasks of the kpi app: thin, idempotent (one report per kind and month)."""

from celery import shared_task


def _last_month_report(kind: str) -> int:
    from django.utils import timezone

    from .services import kpi_report_generate, previous_month

    report, _ = kpi_report_generate(kind=kind, period=previous_month(timezone.localdate()))
    return report.pk


@shared_task(name="kpi.monthly_statistics", acks_late=True, time_limit=1800, soft_time_limit=1700)
def monthly_statistics_task() -> int:
    return _last_month_report("statistics")


@shared_task(name="kpi.monthly_report", acks_late=True, time_limit=1800, soft_time_limit=1700)
def monthly_report_task() -> int:
    return _last_month_report("monthly")
