"""``manage.py synth_data --tickets N [--seed S]``: bulk synthetic history for benchmarks (CONTRACT §1).

Loads into a fresh PostgreSQL database only (it refuses one that has tickets); what it writes and
how it stays consistent with the services is described in ``devdata/synth/``.
"""

from django.core.management.base import BaseCommand, CommandError

from devdata.synth import SynthRefused, synth_history


class Command(BaseCommand):
    help = "Write N synthetic tickets with their history, SLA clocks, surveys and complaints (benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, required=True, help="number of tickets, e.g. 1000000")
        parser.add_argument("--seed", type=int, default=1, help="random seed: same seed, same data")

    def handle(self, *args, tickets, seed, **options):
        try:
            result = synth_history(tickets=tickets, seed=seed, log=lambda line: self.stdout.write(line))
        except (SynthRefused, ValueError) as error:
            raise CommandError(str(error)) from error
        counts = ", ".join(f"{name} {count:,}" for name, count in result.counts.items())
        self.stdout.write(
            f"synth_data: {counts}; {result.open_tickets:,} tickets open; {result.open_clocks:,} SLA clocks "
            f"open, {result.counting_clocks:,} of them counting (next_check_at set); {result.seconds:.1f} s."
        )
