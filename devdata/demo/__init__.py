"""The demo data of ``manage.py seed_demo`` (CONTRACT §1), one module per app, seeded in layer order.

Each module's ``seed(stdout)`` is idempotent: a second run finds what the first one made and adds
nothing. A later module may rely on what an earlier one seeded (the tickets on the units of the
warranty demo, the complaints on the tickets).
"""

from __future__ import annotations

from . import complaints, core, emergency, tickets, warranty

SEEDS = (core, warranty, tickets, complaints, emergency)


def seed_all(stdout) -> None:
    for module in SEEDS:
        module.seed(stdout)
