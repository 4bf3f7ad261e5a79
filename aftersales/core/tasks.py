"""Celery tasks of the core: thin wrappers that call services (STYLE.md).

All three are idempotent by construction (unique keys, row claims), so they acknowledge late and
may safely run again after a worker is lost.
"""

from celery import shared_task


@shared_task(name="core.sla_sweep", acks_late=True, reject_on_worker_lost=True, time_limit=300, soft_time_limit=240)
def sla_sweep_task() -> dict:
    from .sla.sweep import sla_sweep

    result = sla_sweep()
    return {"warnings": result.warnings, "breaches": result.breaches, "clocks": result.clocks_checked}


@shared_task(name="core.outbox_deliver", acks_late=True, time_limit=300, soft_time_limit=240)
def outbox_deliver_task() -> dict:
    from .outbox.services import outbox_deliver

    result = outbox_deliver()
    return {"sent": result.sent, "failed_attempts": result.failed_attempts}


# The soft limit must be stated: the default (CELERY_TASK_SOFT_TIME_LIMIT, 240 s) is above this
# hard limit, and Celery then refuses to queue the task at all, so beat never re-queued anything.
@shared_task(
    name="core.outbox_requeue_stuck", acks_late=True, reject_on_worker_lost=True, time_limit=60, soft_time_limit=50
)
def outbox_requeue_stuck_task() -> int:
    from .outbox.services import outbox_requeue_stuck

    return outbox_requeue_stuck()
