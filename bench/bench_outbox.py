"""Outbox delivery to a local SMTP server (messages/s) and the time to queue 10,000 messages."""

import pytest

from bench import support

pytestmark = pytest.mark.bench


def test_outbox_queue_and_delivery(bench_database, capsys):
    result = support.run_script("outbox", timeout=3600)
    count, single = result["count"], result["single"]
    rate = result["sent"] / result["deliver_seconds"]
    rows = [
        [
            f"Queue {count:,} in one transaction (`outbox_enqueue_many`, one INSERT per 5,000)",
            f"{result['bulk_seconds']:.2f} s",
            f"{count / result['bulk_seconds']:,.0f} messages/s",
        ],
        [
            f"Queue {single:,} in {single:,} transactions (one message each, as transitions do)",
            f"{result['single_seconds']:.1f} s",
            f"{single / result['single_seconds']:,.0f} messages/s",
        ],
        [
            f"Deliver {result['sent']:,} emails to aiosmtpd on loopback (`outbox_deliver`, one process)",
            f"{result['deliver_seconds']:.1f} s",
            f"{rate:,.0f} messages/s",
        ],
    ]
    body = (
        "`bench/bench_outbox.py` (`bench/scripts/outbox.py`): email messages rendered from the "
        "`ticket_created` template; delivery claims batches of "
        f"{result['batch_size']} with `FOR UPDATE SKIP LOCKED`, keeps one SMTP connection for the run and "
        "writes a `DeliveryAttempt` per message. The SMTP server is aiosmtpd in the same process, counting "
        f"what it accepts ({result['received']:,} received, {result['failed_attempts']} failed attempts).\n\n"
        + support.table(["Step", "Time", "Rate"], rows)
    )
    support.record("Outbox", body, capsys=capsys)
    assert result["received"] == result["sent"] == result["pending"] == count + single
