from django.core.management.base import BaseCommand

from aftersales.core.sla.sweep import sla_sweep


class Command(BaseCommand):
    help = "Run one SLA sweep now (the same code the beat task runs) and print what it recorded."

    def handle(self, *args, **options):
        result = sla_sweep()
        self.stdout.write(
            f"SLA sweep: {result.warnings} warning(s) and {result.breaches} breach(es) recorded "
            f"over {result.clocks_checked} clock(s) checked."
        )
