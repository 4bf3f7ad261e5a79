"""Celery tasks of the warranty app: thin wrappers that call services (STYLE.md)."""

from celery import shared_task

# 100,000 rows take well under a minute (docs/benchmarks.md); the limit stays below the Redis
# visibility timeout (settings: 3600 s) so a slow import is never delivered twice.
UNIT_IMPORT_TIME_LIMIT = 1800


@shared_task(
    name="warranty.unit_import_run",
    acks_late=True,
    time_limit=UNIT_IMPORT_TIME_LIMIT,
    soft_time_limit=UNIT_IMPORT_TIME_LIMIT - 60,
)
def unit_import_run_task(unit_import_id: int) -> dict:
    """Idempotent: a finished or running job is left alone, and the write is one transaction."""
    from .services.imports import unit_import_run

    unit_import = unit_import_run(unit_import_id=unit_import_id)
    return {"status": unit_import.status, "imported": unit_import.imported_rows, "errors": unit_import.error_count}
