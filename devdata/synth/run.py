"""``synth_history``: one synthetic load, from the reference rows to the rebuilt indexes and sequences."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from django.db import connection, transaction

from aftersales.core import clock as wall_clock
from aftersales.core.models import ClockEvent, Customer, SlaClock, TrackingLink
from complaints.models import Complaint, ComplaintEvent
from tickets.models import Survey, Ticket, TicketEvent
from warranty.models import RegisteredUnit

from .bulk import create_indexes, drop_secondary_indexes, reset_sequence
from .complaints import write_complaints
from .context import Run, SynthResult
from .customers import write_customers_and_units
from .reference import reference_rows
from .tickets import write_tickets

# Tables whose secondary indexes are dropped during the load and rebuilt after it (much faster than
# maintaining them row by row). Unique and primary-key constraints stay.
_REBUILT = (Ticket, TicketEvent, SlaClock, ClockEvent, Survey, Customer, RegisteredUnit)
_SEQUENCES = (
    Customer,
    RegisteredUnit,
    Ticket,
    TicketEvent,
    SlaClock,
    ClockEvent,
    Survey,
    Complaint,
    ComplaintEvent,
    Complaint.tickets.through,
    TrackingLink,
)


class SynthRefused(Exception):
    """The database already has tickets."""


def _load(run: Run) -> None:
    run.log(f"customers and units … ({run.span_days} days of history)")
    write_customers_and_units(run)
    run.log("tickets, events, SLA clocks, surveys …")
    write_tickets(run)
    run.log("complaints …")
    write_complaints(run)


def synth_history(*, tickets: int, seed: int = 1, now: datetime | None = None, log=print) -> SynthResult:
    """Write ``tickets`` synthetic tickets and everything around them (see ``devdata.synth``)."""
    if tickets < 1:
        raise ValueError("tickets must be at least 1")
    if connection.vendor != "postgresql":
        raise SynthRefused("synth_data writes with PostgreSQL COPY; point DATABASE_URL at PostgreSQL.")
    if Ticket.objects.exists():
        raise SynthRefused("This database already has tickets; synth_data loads into a fresh database only.")
    began = time.perf_counter()
    now = (now or wall_clock.now()).astimezone(UTC).replace(microsecond=0)
    with transaction.atomic():
        reference = reference_rows(tickets, now.date())
    dropped = drop_secondary_indexes(_REBUILT)
    run = None
    try:
        run = Run(tickets=tickets, seed=seed, now=now, reference=reference, log=log)
        _load(run)
    finally:
        if run is not None:
            run.writer.close()
        began_indexes = time.perf_counter()
        create_indexes(dropped)
    copy_times = ", ".join(f"{table} {sec:.1f} s" for table, sec in run.writer.seconds.items())
    log(f"COPY time per table: {copy_times}")
    log(f"{len(dropped)} indexes rebuilt in {time.perf_counter() - began_indexes:.1f} s")
    with transaction.atomic():
        for model in _SEQUENCES:
            reset_sequence(model)
        run.ticket_numbers.save()
        run.complaint_numbers.save()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    result = run.result
    result.seconds = time.perf_counter() - began
    return result
