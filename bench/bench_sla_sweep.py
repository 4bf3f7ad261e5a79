"""SLA sweep: the cost follows the clocks falling due, not the clocks open (DESIGN-SLA.md).

One sweep with the synthetic history's counting clocks (~10k at 1M tickets) and the same sweep with
~1M counting clocks, each time with ``BENCH_SWEEP_DUE`` (1,000) ticket clocks falling due (3 warnings
and a breach each: 4,000 events, escalations and outbox messages). The ratio must stay near 1.
"""

import pytest

from bench import support

pytestmark = pytest.mark.bench


def test_sweep_cost_follows_due_not_open(bench_database, capsys):
    result = support.run_script("sweep", timeout=3600)
    small, large = result["small"], result["large"] or result["small"]  # BENCH_SWEEP_OPEN=0: no large run
    ratio = large["median_seconds"] / small["median_seconds"]
    rows = []
    for item in (small, large) if result["large"] else (small,):
        rows.append(
            [
                f"{item['open_clocks']:,}",
                f"{item['due']:,}",
                f"{sum(item['events']) // len(item['events']):,}",
                " / ".join(f"{seconds * 1000:.0f}" for seconds in item["sweep_seconds"]),
                f"{item['ms_per_due_clock']:.2f}",
                f"{item['ms_per_escalation']:.2f}",
                f"{item['ms_per_message_row']:.3f}",
                f"{item['rows_per_due_clock']:.1f}",
                f"{item['empty_sweep_ms']:.1f}",
            ]
        )
    body = (
        f"`bench/bench_sla_sweep.py` (`bench/scripts/sweep.py`): the sweep as beat runs it "
        f"(`sla_sweep`, batches of {result['batch_size']}), {small['due']:,} clocks of open tickets falling due "
        "per sweep, their escalation levels reset to 0 each round (each: warnings at 50/75/90 % and the breach, "
        "so the tickets' handler escalates and writes outbox messages), three sweeps per row; the per-item "
        "figures divide the three sweeps' time by what they did. The million is made of the synthetic "
        f"history's counting clocks plus {result['fill']['clocks']:,} clocks due weeks later (COPY, "
        f"{result['fill']['seconds']:.0f} s, deleted afterwards).\n\n"
        + support.table(
            [
                "Counting clocks (next_check_at set)",
                "Falling due",
                "Events recorded",
                "Sweep time, ms (3 runs)",
                "ms per due clock",
                "ms per escalation",
                "ms per message row",
                "Message rows per due clock",
                "Sweep with nothing due, ms",
            ],
            rows,
        )
        + f"\n\nRatio large / small (median sweep time): **{ratio:.2f}**. "
        f"Catch-up sweep right after loading: {result['catch_up']['clocks']:,} clocks in "
        f"{result['catch_up']['seconds']:.1f} s.\n\n"
        "Plan of the sweep's claim query with ~1M counting clocks (`EXPLAIN (ANALYZE, BUFFERS)`):\n\n"
        "```\n" + large["explain"] + "\n```\n"
    )
    support.record("SLA sweep", body, capsys=capsys)
    # An index scan (plain or bitmap) over the partial index, never a scan of the table.
    assert "core_slaclock_due_idx" in large["explain"] and "Seq Scan" not in large["explain"]
    assert ratio < 2.0
