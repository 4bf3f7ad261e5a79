"""The SLA sweep with ~10k counting clocks, then with ~1M, and the same number falling due each time.

Run by bench/bench_sla_sweep.py as ``python -m bench.scripts.sweep`` against the benchmark database.
The due clocks are ticket clocks (so the tickets' handler escalates and writes outbox messages, as
in production); the filler clocks that make up the million are due weeks later and hang off
customers, so they never show on a ticket and are deleted afterwards (they have no events).
"""

import io
import json
import os
import random
import statistics
import sys
import time
from datetime import timedelta

import django

django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Max  # noqa: E402

from aftersales.core import clock as wall_clock  # noqa: E402
from aftersales.core.calendars.services import DEFAULT_24X7_CODE  # noqa: E402
from aftersales.core.models import BusinessCalendar, ClockEvent, Customer, OutboxMessage, SlaClock  # noqa: E402
from aftersales.core.sla.sweep import sla_sweep  # noqa: E402
from tickets.choices import Status  # noqa: E402
from tickets.models import Ticket  # noqa: E402

DUE = int(os.environ.get("BENCH_SWEEP_DUE", "1000"))
ROUNDS = 3
LARGE = int(os.environ.get("BENCH_SWEEP_OPEN", "1000000"))
FILLER = "bench_filler"


def counting() -> int:
    return SlaClock.objects.filter(next_check_at__isnull=False).count()


def add_due(now, round_number: int) -> int:
    """DUE open tickets get a clock started 2 h ago with a 1 h target: 3 warnings and a breach each.

    Open tickets only (a closed one is not what a sweep escalates), their levels reset to 0 first,
    so every round climbs and notifies the same rungs however often the bench has run.
    """
    ticket_type = ContentType.objects.get_for_model(Ticket)
    always = BusinessCalendar.objects.get(code=DEFAULT_24X7_CODE)
    open_tickets = Ticket.objects.exclude(status__in=[Status.CLOSED, Status.CANCELLED])
    ids = list(open_tickets.order_by("?").values_list("pk", flat=True)[:DUE])
    Ticket.objects.filter(pk__in=ids).update(escalation_level=0)
    started = now - timedelta(hours=2)
    clocks = SlaClock.objects.bulk_create(
        SlaClock(
            content_type=ticket_type,
            object_id=pk,
            name="first_response",
            cycle=round_number,
            calendar=always,
            target_seconds=3600,
            thresholds=[50, 75, 90],
            started_at=started,
            segment_started_at=started,
            due_at=started + timedelta(hours=1),
            next_check_at=started + timedelta(minutes=30),
        )
        for pk in ids
    )
    ClockEvent.objects.bulk_create(
        ClockEvent(clock=item, kind="started", occurred_at=started, recorded_at=started) for item in clocks
    )
    return len(ids)


def explain(now) -> str:
    query = (
        SlaClock.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(next_check_at__lte=now)
        .order_by("next_check_at")[:500]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        sql, params = query.query.sql_with_params()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


def measure(now, label: str, round_base: int) -> dict:
    open_clocks = counting()
    empty = []
    for _ in range(3):
        began = time.perf_counter()
        sla_sweep(now=now)
        empty.append(time.perf_counter() - began)
    times, checked, events, breaches, rows, due = [], [], [], [], [], []
    plan = ""
    for round_number in range(ROUNDS):
        due.append(add_due(now, round_base + round_number))
        if round_number == 0:
            plan = explain(now)
        last_message = OutboxMessage.objects.aggregate(top=Max("pk"))["top"] or 0
        began = time.perf_counter()
        result = sla_sweep(now=now)
        times.append(time.perf_counter() - began)
        checked.append(result.clocks_checked)
        events.append(result.warnings + result.breaches)
        breaches.append(result.breaches)
        rows.append(OutboxMessage.objects.filter(pk__gt=last_message).count())
    total = sum(times)
    return {
        "label": label,
        "open_clocks": open_clocks,
        "due": statistics.median(due),
        "sweep_seconds": times,
        "median_seconds": statistics.median(times),
        "clocks_checked": checked,
        "events": events,
        "escalations": breaches,
        "message_rows": rows,
        "ms_per_due_clock": total * 1000 / max(sum(due), 1),
        "ms_per_escalation": total * 1000 / max(sum(breaches), 1),
        "ms_per_message_row": total * 1000 / max(sum(rows), 1),
        "rows_per_due_clock": sum(rows) / max(sum(due), 1),
        "empty_sweep_ms": statistics.median(empty) * 1000,
        "explain": plan,
    }


def add_fillers(count: int, now) -> None:
    customer_type = ContentType.objects.get_for_model(Customer).pk
    always = BusinessCalendar.objects.get(code=DEFAULT_24X7_CODE).pk
    rng = random.Random(7)
    columns = (
        "content_type_id, object_id, name, cycle, calendar_id, target_seconds, thresholds, state, started_at, "
        "segment_started_at, consumed_seconds, paused_seconds, due_at, next_check_at, created_at"
    )
    chunk = 200_000
    with connection.cursor() as cursor:
        for start in range(0, count, chunk):
            buffer = io.StringIO()
            for object_id in range(start + 1, min(start + chunk, count) + 1):
                check = now + timedelta(seconds=rng.randrange(86400, 30 * 86400))
                due = check + timedelta(days=1)
                buffer.write(
                    f"{customer_type}\t{object_id}\t{FILLER}\t1\t{always}\t604800\t[50, 75, 90]\trunning\t"
                    f"{now.isoformat()}\t{now.isoformat()}\t0\t0\t{due.isoformat()}\t{check.isoformat()}\t"
                    f"{now.isoformat()}\n"
                )
            buffer.seek(0)
            cursor.copy_expert(f"COPY core_slaclock ({columns}) FROM STDIN", buffer)
        cursor.execute("ANALYZE core_slaclock")


def main() -> None:
    now = wall_clock.now()
    SlaClock.objects.filter(name=FILLER).delete()  # a run that died before cleaning up
    began = time.perf_counter()
    catch_up = sla_sweep(now=now)
    catch_up_seconds = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE core_slaclock")
    # Cycles above any existing one: every due clock is a new row, however often the bench has run.
    base = max(SlaClock.objects.aggregate(top=Max("cycle"))["top"] or 0, 99) + 1
    small = measure(now, "small", base)
    fill = max(LARGE - counting(), 0) if LARGE else 0
    began = time.perf_counter()
    add_fillers(fill, now)
    fill_seconds = time.perf_counter() - began
    large = measure(now, "large", base + ROUNDS) if fill else None
    began = time.perf_counter()
    SlaClock.objects.filter(name=FILLER).delete()
    cleanup_seconds = time.perf_counter() - began
    print(
        json.dumps(
            {
                "catch_up": {"seconds": catch_up_seconds, "clocks": catch_up.clocks_checked},
                "small": small,
                "large": large,
                "fill": {"clocks": fill, "seconds": fill_seconds, "cleanup_seconds": cleanup_seconds},
                "batch_size": django.conf.settings.SLA_SWEEP_BATCH_SIZE,
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
