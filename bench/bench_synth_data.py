"""Loading the synthetic history (``synth_data``): CONTRACT §1 wants 1,000,000 tickets well under 15 min."""

import pytest

from bench import support

pytestmark = pytest.mark.bench

LIMIT_SECONDS = 15 * 60


def test_synth_data_load(bench_database, capsys):
    if bench_database.get("reused"):
        pytest.skip("BENCH_REUSE=1 kept an existing database: nothing was loaded in this run")
    summary = bench_database["output"][-1]
    details = "\n".join(f"    {line}" for line in bench_database["output"][:-1])
    body = (
        f"`bench/bench_synth_data.py`: `manage.py synth_data --tickets {support.TICKETS:,} --seed "
        f"{support.SEED}` into a freshly migrated database: **{bench_database['seconds']:.0f} s** "
        f"({support.TICKETS / bench_database['seconds']:,.0f} tickets/s), database size "
        f"{bench_database['size']}.\n\n"
        f"{summary}\n\nProgress as printed:\n\n{details}\n"
    )
    support.record("Synthetic data load", body, capsys=capsys)
    assert bench_database["seconds"] < LIMIT_SECONDS
