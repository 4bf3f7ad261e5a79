"""Outbox: time to queue 10,000 messages, and delivery to a local SMTP server in messages/s.

The SMTP server is aiosmtpd on 127.0.0.1 (as in aftersales/core/tests/conftest.py), counting what it
accepts; delivery is ``outbox_deliver`` as the Celery task runs it (batches of OUTBOX_BATCH_SIZE,
one SMTP connection per run, a DeliveryAttempt row per message).
"""

import json
import os
import socket
import sys
import threading
import time
from datetime import timedelta

from aiosmtpd.controller import Controller

COUNT = int(os.environ.get("BENCH_OUTBOX_MESSAGES", "10000"))
# One message per transaction is the services' pattern; 2,000 are enough for its rate.
SINGLE = int(os.environ.get("BENCH_OUTBOX_SINGLE", "2000"))
# BENCH_OUTBOX_DELIVER=0 measures the queueing alone (e.g. 100,000 messages) and settles the rows.
DELIVER = os.environ.get("BENCH_OUTBOX_DELIVER", "1") == "1"


class CountingSink:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd calls it by this name
        with self.lock:
            self.count += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    sink = CountingSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    os.environ.update(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port)
    )
    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.db import transaction

    from aftersales.core.models import OutboxMessage
    from aftersales.core.outbox.services import (
        Notification,
        outbox_deliver,
        outbox_enqueue,
        outbox_enqueue_many,
        outbox_settle_history,
    )

    outbox_settle_history(after_id=0, note="settled by the outbox benchmark before it ran")
    run = int(time.time())

    def notification(number: int, kind: str) -> Notification:
        return Notification(
            key=f"bench:{run}:{kind}:{number}",
            channel="email",
            recipient=f"customer{number}@example.com",
            template="ticket_created",
            context={"number": f"T20261124{number:05d}", "tracking_url": "http://127.0.0.1:8000/track/x/"},
        )

    began = time.perf_counter()
    with transaction.atomic():
        outbox_enqueue_many([notification(number, "bulk") for number in range(COUNT)])
    bulk_seconds = time.perf_counter() - began

    began = time.perf_counter()
    for number in range(SINGLE):
        with transaction.atomic():  # one transition's message per transaction, as services write them
            outbox_enqueue(notifications=[notification(number, "single")])
    single_seconds = time.perf_counter() - began

    pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).count()
    if not DELIVER:
        outbox_settle_history(after_id=0, note="queued by the outbox benchmark, not delivered")
    began = time.perf_counter()
    sent = failed = 0
    while DELIVER:
        result = outbox_deliver(budget=timedelta(minutes=30))
        sent += result.sent
        failed += result.failed_attempts
        if result.sent == 0 and result.failed_attempts == 0:
            break
    deliver_seconds = time.perf_counter() - began
    received = sink.count
    controller.stop()
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the delivery kicks queued for a worker that is not running
    print(
        json.dumps(
            {
                "count": COUNT,
                "single": SINGLE,
                "bulk_seconds": bulk_seconds,
                "single_seconds": single_seconds,
                "pending": pending,
                "sent": sent,
                "failed_attempts": failed,
                "received": received,
                "deliver_seconds": deliver_seconds,
                "batch_size": settings.OUTBOX_BATCH_SIZE,
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
