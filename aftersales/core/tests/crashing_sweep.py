"""Run as a separate process by test_sla_sweep: a sweep whose worker dies (SIGKILL) mid-batch.

The handler kills the process after the batch's events were inserted but before the transaction
commits — the worst moment. PostgreSQL must roll the whole batch back.
"""

import os
import signal
import sys

import django

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings.test")
    django.setup()

    from aftersales.core.models import Customer
    from aftersales.core.sla.registry import register_clock_handler
    from aftersales.core.sla.sweep import sla_sweep
    from aftersales.core.tests.sla_support import notify_supervisor

    def notify_then_die(events):
        notify_supervisor(events)
        sys.stdout.write(f"handled {len(events)} events, dying\n")
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    register_clock_handler(Customer, notify_then_die)
    sla_sweep()
