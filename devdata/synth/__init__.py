"""Bulk synthetic history for benchmarks: ``manage.py synth_data --tickets N [--seed S]`` (CONTRACT §1).

The services write one ticket in tens of queries; a million tickets that way would take days. This
module replays the same lifecycle in memory instead and writes the rows with PostgreSQL ``COPY``
(one writer thread, so generating the next chunk overlaps with the database loading this one).

What it writes, for N tickets spread over the last N/1000 days (30 to 730):
- N/3 customers (5 % key accounts) in 4 regions, N/2 registered units of 5 product models;
- staff users in the role groups (agents, supervisors, certified technicians), unusable passwords;
- tickets with every transition as a ``TicketEvent`` (from/to status, actor), following the state
  machine of ``tickets.models.Ticket``: create → acknowledge → [wait_customer → resume] → diagnose
  → [wait_parts → parts_arrived] → dispatch → start_work → resolve → [confirm] → close, consultations
  acknowledge → resolve → close, and a few cancellations;
- the SLA clocks the services would have started (policy from the SLA matrix), each with its
  ``ClockEvent`` rows. The sweep is taken to have run all along: every warning and breach that fell
  due before a transition (or before *now*) is recorded once, a breach raises the ticket's
  ``escalation_level``, and running clocks get ``next_check_at`` = their next checkpoint after now;
  paused clocks have consumed time and no ``next_check_at``. Tickets created in the last days are
  still open, so the backlog (and the sweep's work) is what a desk with that intake would carry;
- a survey per resolution (40 % answered, with a ``rate`` event and the CSAT clock met), and
  1 complaint per 50 tickets about a closed ticket, closed (or withdrawn) with its events;
- ``NumberSequence`` rows bumped to the last number of every day, so ``ticket_create`` and
  ``complaint_create`` continue the sequences.

Not generated: outbox messages, follow-ups, parts, attachments, audit rows, and SLA clocks of
complaints (all synthetic complaints are finished, so they would only add met clocks).

It refuses a database that already has tickets (load into a fresh database: numbers, ids and the
backlog are only consistent on an empty one). Tracking tokens are derived from the seed and the
ticket id (``tracking_token_for``) so benchmarks can open tracking pages; never use synthetic data
next to real customers. Same ``seed`` and ``now`` → the same rows.

The parts, one module per job: ``reference`` (regions, product models, SLA policies) and ``staff``,
``customers`` (customers and units), ``tickets`` (the ticket replay), ``clocks`` (SLA clocks replayed
with the engine's rules), ``surveys``, ``complaints``; ``bulk`` (COPY), ``numbering`` (case numbers),
``context`` (what one load shares) and ``run`` (``synth_history``).
"""

from .context import SynthResult, tracking_token_for
from .run import SynthRefused, synth_history

__all__ = ["SynthRefused", "SynthResult", "synth_history", "tracking_token_for"]
