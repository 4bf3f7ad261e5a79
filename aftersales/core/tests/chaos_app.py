"""The project's Celery app with a beat schedule in seconds, for the chaos runs (test_chaos.py).

``celery -A aftersales.core.tests.chaos_app beat`` is the real beat of production with the same
three tasks, only faster: the settings have no environment variable for the intervals, and a chaos
run of a few minutes needs many sweeps and deliveries, not one a minute. Workers use this module
too, so both sides load the same configuration.
"""

import os

from aftersales.celery import app

SECONDS = float(os.environ.get("CHAOS_BEAT_SECONDS", "2"))

app.conf.beat_schedule = {
    "sla-sweep": {"task": "core.sla_sweep", "schedule": SECONDS},
    "outbox-deliver": {"task": "core.outbox_deliver", "schedule": SECONDS},
    # Stuck messages are only re-queued after twice the task time limit (10 min), longer than a
    # run; the chaos test re-queues them itself once every worker is stopped.
    "outbox-requeue-stuck": {"task": "core.outbox_requeue_stuck", "schedule": SECONDS * 5},
}

__all__ = ["app"]
