"""Real delivery endpoints for the outbox tests: an SMTP server, an isolated Redis broker database.

Nothing here is a mock: the SMTP server is aiosmtpd listening on 127.0.0.1, and the broker is a
Redis database of its own, so the tests see exactly what a mail relay or a Celery worker would.
"""

from __future__ import annotations

import email
import email.policy
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str, interval: float = 0.1) -> object:
    """Poll an external process's effect (a worker, a server) until it shows or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# SMTP
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedEmail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def subject(self) -> str:
        # Whitespace after the colon is not part of a subject. Django folds a long encoded subject as
        # "Subject:\r\n =?utf-8?b?…?=" and the email package keeps that fold's space; clients do not.
        return str(self.message["Subject"]).lstrip(" \t")

    @property
    def body(self) -> str:
        # SMTP carries CRLF line ends and a final line break that the sender did not write.
        return self.message.get_content().replace("\r\n", "\n").removesuffix("\n")


class SmtpSink:
    """aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[ReceivedEmail] = []
        self.host = "127.0.0.1"
        self.port = 0

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd calls it by this name
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._lock:
            self._received.append(ReceivedEmail(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"

    @property
    def received(self) -> list[ReceivedEmail]:
        with self._lock:
            return list(self._received)

    def message_ids(self) -> list[str]:
        return [item.message_id for item in self.received]

    def clear(self) -> None:
        with self._lock:
            self._received.clear()


@pytest.fixture(scope="session")
def smtp_server():
    """One SMTP server for the whole run (it starts in ~50 ms, but every test clears it anyway)."""
    sink = SmtpSink()
    sink.port = free_port()
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture
def smtp(smtp_server, settings):
    """Django sends real SMTP to the local server; the test sees what it received."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_server.host
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    smtp_server.clear()
    yield smtp_server
    smtp_server.clear()


@pytest.fixture
def smtp_down(settings):
    """An SMTP host that refuses connections: a bound port that never listens, so nobody can take it."""
    with socket.socket() as refusing:
        refusing.bind(("127.0.0.1", 0))
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = refusing.getsockname()[1]
        yield refusing.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# Redis broker
# ---------------------------------------------------------------------------------------------

_CLAIM_KEY = "aftersales-tests:claimed-by"


def _redis_url(database: int) -> str:
    parts = urlsplit(settings.REDIS_URL or "redis://127.0.0.1:6379/0")
    return urlunsplit(parts._replace(path=f"/{database}"))


@pytest.fixture(scope="session")
def isolated_redis_url():
    """A Redis database nobody else uses, claimed with SET NX, emptied afterwards.

    Tasks sent by the tests (and the on-commit kicks of transactional tests) go here, never to the
    database of a development worker or of another test run.
    """
    token = f"{os.getpid()}:{uuid.uuid4().hex}".encode()
    for database in range(15, 7, -1):
        client = redis.Redis.from_url(_redis_url(database))
        if client.dbsize() == 0 and client.set(_CLAIM_KEY, token, nx=True, ex=3600):
            break
        client.close()
    else:
        pytest.fail("no empty Redis database among 8–15 for the broker tests")
    yield _redis_url(database)
    if client.get(_CLAIM_KEY) == token:
        client.flushdb()
    client.close()


def _point_app_at(app, broker_url: str) -> None:
    # Celery caches the connection and producer pools of the first broker it used; drop them so the
    # next publish connects to the new URL (what Celery itself does after a fork). Not closed: kombu
    # keeps one pool per URL for the process and hands the same one out again next time.
    app.conf.broker_url = broker_url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_broker(isolated_redis_url):
    """Point this process's Celery app (on-commit kicks, ``send_task``) at the isolated broker."""
    from aftersales.celery import app

    previous = app.conf.broker_url
    _point_app_at(app, isolated_redis_url)
    yield isolated_redis_url
    _point_app_at(app, previous)
    # Kicks no worker consumed must not reach a later test's worker.
    client = redis.Redis.from_url(isolated_redis_url)
    client.delete("celery")
    client.close()
