"""Fixtures of the complaints tests, shared with the tickets tests (real SMTP server, broker, worker)."""

from tickets.tests.conftest import (  # noqa: F401 - fixtures are found by name
    celery_broker,
    committed_sla_matrix,
    isolated_redis_url,
    smtp,
    smtp_server,
    wait_until,
    worker_process,
)
