"""The notification outbox delivers every committed message exactly once, over real providers.

Email goes over SMTP to an aiosmtpd server on 127.0.0.1 and SMS over HTTP to a local gateway, so
what is asserted is what a relay or a gateway really received. Delivery is run directly with
``outbox_deliver()``; the Celery round trip is in ``test_celery_integration.py``. Time is frozen and
moved with time-machine (the back-off is counted from the clock, never slept on).

2026-11-24 is a Tuesday.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, deque
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connections, transaction
from django.utils import timezone

from aftersales.core.models import DeliveryAttempt, OutboxMessage
from aftersales.core.outbox import services
from aftersales.core.outbox.services import (
    DeliveryResult,
    Notification,
    message_id_for,
    outbox_deliver,
    outbox_enqueue,
    outbox_requeue_stuck,
    outbox_retry,
)
from aftersales.core.outbox.sms import HttpGatewaySmsBackend, SmsDeliveryError
from conftest import shanghai

pytestmark = pytest.mark.django_db

T0 = shanghai(2026, 11, 24, 9, 0)
FROM_EMAIL = "service@aftersales.invalid"  # settings.DEFAULT_FROM_EMAIL of the test settings

ZH_CONTEXT = {
    "recipient_name": "王芳",
    "subject_label": "工单 SR-2026-0042",
    "clock_label": "首次响应",
    "threshold": 75,
    "due_at": "2026-11-24 17:30",
    "escalation_level": 2,
    "url": "http://127.0.0.1:8000/tickets/42/",
}
# The ampersand and angle brackets must arrive as typed: notifications are plain text.
EN_CONTEXT = {
    **ZH_CONTEXT,
    "recipient_name": "Alice",
    "subject_label": "ticket SR-2026-0042 (Smith & Sons <HQ>)",
    "clock_label": "first response",
}


def email_notification(key: str, *, template: str = "sla_warning", language: str = "zh-hans", **kwargs) -> Notification:
    return Notification(
        key=key,
        channel=OutboxMessage.Channel.EMAIL,
        recipient=kwargs.pop("recipient", "supervisor@example.com"),
        template=template,
        context=EN_CONTEXT if language == "en" else ZH_CONTEXT,
        language=language,
        **kwargs,
    )


def enqueue(*notifications: Notification) -> None:
    """Enqueue as a service does: inside its own transaction."""
    with transaction.atomic():
        outbox_enqueue(notifications=notifications)


@pytest.fixture
def frozen(time_machine):
    """Time stands still at T0 until the test moves it."""
    time_machine.move_to(T0, tick=False)
    return time_machine


# ---------------------------------------------------------------------------------------------
# Email over SMTP
# ---------------------------------------------------------------------------------------------


def test_enqueue_stores_a_pending_message_and_kicks_delivery_after_commit(
    smtp, frozen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        enqueue(email_notification("clock:17:warning:75:supervisor"))

    # The kick (a Celery .delay()) waits for the commit, so a worker never looks for an unwritten row.
    assert callbacks == [services._kick_delivery]
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts, message.next_attempt_at) == (OutboxMessage.Status.PENDING, 0, T0)
    assert smtp.received == []


def test_enqueue_of_nothing_kicks_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        enqueue()

    assert callbacks == []


@pytest.mark.parametrize(
    ("template", "language", "subject", "body"),
    [
        pytest.param(
            "sla_warning",
            "zh-hans",
            "【时限预警】工单 SR-2026-0042 的「首次响应」已用去 75%",
            "您好，王芳：\n"
            "\n"
            "工单 SR-2026-0042 的「首次响应」时限已用去 75%，截止时间为 2026-11-24 17:30。\n"
            "请尽快处理，避免超时。\n"
            "\n"
            "查看详情：http://127.0.0.1:8000/tickets/42/\n"
            "—— 售后服务系统",
            id="warning-zh-hans",
        ),
        pytest.param(
            "sla_warning",
            "en",
            '[SLA warning] 75% of "first response" used on ticket SR-2026-0042 (Smith & Sons <HQ>)',
            "Hello Alice,\n"
            "\n"
            '75% of the time allowed for "first response" on ticket SR-2026-0042 (Smith & Sons <HQ>) has been '
            "used. It is due at 2026-11-24 17:30.\n"
            "Please act before it runs late.\n"
            "\n"
            "Details: http://127.0.0.1:8000/tickets/42/\n"
            "— After-sales service",
            id="warning-en",
        ),
        pytest.param(
            "sla_breach",
            "zh-hans",
            "【已超时】工单 SR-2026-0042 的「首次响应」已超过时限",
            "您好，王芳：\n"
            "\n"
            "工单 SR-2026-0042 的「首次响应」已于 2026-11-24 17:30 超时，升级至第 2 级。\n"
            "请填写超时原因与补救措施，并尽快处理。\n"
            "\n"
            "查看详情：http://127.0.0.1:8000/tickets/42/\n"
            "—— 售后服务系统",
            id="breach-zh-hans",
        ),
        pytest.param(
            "sla_breach",
            "en",
            '[SLA breached] "first response" on ticket SR-2026-0042 (Smith & Sons <HQ>) is late',
            "Hello Alice,\n"
            "\n"
            '"first response" on ticket SR-2026-0042 (Smith & Sons <HQ>) was due at 2026-11-24 17:30 and is now '
            "late; it has been escalated to level 2.\n"
            "Please record why it is late and the remedy, and act on it now.\n"
            "\n"
            "Details: http://127.0.0.1:8000/tickets/42/\n"
            "— After-sales service",
            id="breach-en",
        ),
    ],
)
def test_email_is_rendered_in_the_recipients_language_and_sent_over_smtp(
    smtp, frozen, template, language, subject, body
):
    key = f"clock:17:{template}:supervisor:{language}"
    enqueue(email_notification(key, template=template, language=language, recipient="zhang.wei@example.com"))

    assert outbox_deliver() == DeliveryResult(sent=1)

    [received] = smtp.received
    assert received.mail_from == FROM_EMAIL
    assert received.rcpt_tos == ["zhang.wei@example.com"]
    assert received.message["To"] == "zhang.wei@example.com"
    assert received.subject == subject
    assert received.body == body
    # The idempotency key travels as the Message-ID, so a receiver can drop a repeat after a crash.
    assert received.message_id == message_id_for(key)

    message = OutboxMessage.objects.get(key=key)
    assert (message.status, message.attempts, message.sent_at, message.last_error) == (
        OutboxMessage.Status.SENT,
        1,
        T0,
        "",
    )
    [attempt] = message.delivery_attempts.all()
    assert (attempt.number, attempt.succeeded, attempt.error) == (1, True, "")
    assert attempt.provider_reference == message_id_for(key)
    assert attempt.started_at == attempt.finished_at == T0


def test_message_id_is_stable_per_key_and_uses_the_sender_domain(settings):
    settings.DEFAULT_FROM_EMAIL = "service@example.com"
    assert message_id_for("clock:1:breach") == message_id_for("clock:1:breach")
    assert message_id_for("clock:1:breach") != message_id_for("clock:2:breach")
    assert message_id_for("clock:1:breach").endswith("@example.com>")

    # DEFAULT_FROM_EMAIL is often written with a display name; the Message-ID must stay well formed.
    settings.DEFAULT_FROM_EMAIL = "售后服务 <service@example.com>"
    assert message_id_for("clock:1:breach").endswith("@example.com>")
    assert message_id_for("clock:1:breach").count(">") == 1


# ---------------------------------------------------------------------------------------------
# Idempotency
# ---------------------------------------------------------------------------------------------


def test_the_same_key_enqueued_twice_is_stored_and_delivered_once(smtp, frozen):
    key = "clock:17:breach:supervisor"
    # Twice in one call (a handler listing a recipient twice) and again later (a re-run service):
    # the first row wins, later ones are dropped without an error.
    enqueue(
        email_notification(key, template="sla_breach", recipient="first@example.com"),
        email_notification(key, template="sla_breach", recipient="second@example.com"),
    )
    enqueue(email_notification(key, template="sla_breach", recipient="third@example.com"))

    assert OutboxMessage.objects.get().recipient == "first@example.com"
    assert outbox_deliver() == DeliveryResult(sent=1)
    assert [(item.rcpt_tos, item.message_id) for item in smtp.received] == [
        (["first@example.com"], message_id_for(key))
    ]


def test_a_second_delivery_run_sends_nothing(smtp, frozen):
    enqueue(email_notification("clock:17:warning:50:a"), email_notification("clock:17:warning:50:b", language="en"))

    assert outbox_deliver() == DeliveryResult(sent=2)
    frozen.shift(timedelta(hours=1))
    assert outbox_deliver() == DeliveryResult()

    assert sorted(smtp.message_ids()) == sorted(
        message_id_for(key) for key in ("clock:17:warning:50:a", "clock:17:warning:50:b")
    )
    assert DeliveryAttempt.objects.count() == 2


def test_a_rolled_back_transaction_sends_nothing(smtp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue(notifications=[email_notification("clock:17:breach:supervisor", template="sla_breach")])
        raise RuntimeError("the transition failed after enqueueing")

    assert callbacks == []  # Django drops on-commit work of a rolled-back block: no kick either
    assert not OutboxMessage.objects.exists()
    assert outbox_deliver() == DeliveryResult()
    assert smtp.received == []


# ---------------------------------------------------------------------------------------------
# Failure, back-off, retry, stuck messages
# ---------------------------------------------------------------------------------------------


def fail_until_final(frozen, message: OutboxMessage, max_attempts: int) -> list[int]:
    """Run delivery at each retry moment until the message fails for good; return the delays (s)."""
    delays = []
    for attempt in range(1, max_attempts + 1):
        assert outbox_deliver() == DeliveryResult(failed_attempts=1)
        message.refresh_from_db()
        assert message.attempts == attempt
        assert message.last_error.startswith("ConnectionRefusedError")
        if attempt == max_attempts:
            break
        assert message.status == OutboxMessage.Status.PENDING
        delay = message.next_attempt_at - timezone.now()
        delays.append(int(delay.total_seconds()))
        # Not a second early: a run just before the retry moment leaves the message alone.
        frozen.shift(delay - timedelta(seconds=1))
        assert outbox_deliver() == DeliveryResult()
        frozen.shift(timedelta(seconds=1))
    return delays


def test_unreachable_smtp_backs_off_exponentially_then_fails(smtp_down, frozen, settings):
    enqueue(email_notification("clock:17:breach:supervisor", template="sla_breach"))
    message = OutboxMessage.objects.get()

    delays = fail_until_final(frozen, message, settings.OUTBOX_MAX_ATTEMPTS)

    # 30 s after the first failure, doubling after each further one ("back off exponentially").
    assert delays == [30 * 2**n for n in range(settings.OUTBOX_MAX_ATTEMPTS - 1)]
    assert delays[:4] == [30, 60, 120, 240]
    assert message.status == OutboxMessage.Status.FAILED
    assert message.sent_at is None
    assert list(message.delivery_attempts.values_list("number", "succeeded")) == [
        (number, False) for number in range(1, settings.OUTBOX_MAX_ATTEMPTS + 1)
    ]
    assert all(
        error.startswith("ConnectionRefusedError")
        for error in message.delivery_attempts.values_list("error", flat=True)
    )

    # Failed is final until staff retry it: later runs do not touch it.
    frozen.shift(timedelta(days=7))
    assert outbox_deliver() == DeliveryResult()


def test_back_off_is_capped_at_six_hours(smtp_down, frozen, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 12
    enqueue(email_notification("clock:17:breach:supervisor", template="sla_breach"))

    delays = fail_until_final(frozen, OutboxMessage.objects.get(), 12)

    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 15360, 6 * 3600]


def test_retry_puts_only_failed_messages_back_and_the_next_run_delivers_them(smtp, smtp_down, frozen, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1  # fail for good at the first refused connection
    settings.EMAIL_PORT = smtp.port
    enqueue(email_notification("clock:1:breach:supervisor", template="sla_breach"))
    assert outbox_deliver() == DeliveryResult(sent=1)

    settings.EMAIL_PORT = smtp_down  # the relay goes down
    enqueue(email_notification("clock:2:breach:supervisor", template="sla_breach"))
    assert outbox_deliver() == DeliveryResult(failed_attempts=1)
    sent, failed = (
        OutboxMessage.objects.get(key="clock:1:breach:supervisor"),
        OutboxMessage.objects.get(key="clock:2:breach:supervisor"),
    )
    assert failed.status == OutboxMessage.Status.FAILED

    frozen.shift(timedelta(hours=2))
    settings.EMAIL_PORT = smtp.port  # back up; staff press "retry" in the admin
    assert outbox_retry(message_ids=[sent.pk, failed.pk]) == 1

    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.next_attempt_at) == (
        OutboxMessage.Status.PENDING,
        0,
        T0 + timedelta(hours=2),
    )
    assert outbox_deliver() == DeliveryResult(sent=1)
    failed.refresh_from_db()
    assert failed.status == OutboxMessage.Status.SENT
    assert list(failed.delivery_attempts.order_by("pk").values_list("succeeded", flat=True)) == [False, True]
    assert sorted(smtp.message_ids()) == sorted(
        message_id_for(key) for key in ("clock:1:breach:supervisor", "clock:2:breach:supervisor")
    )


def test_requeue_stuck_puts_back_only_messages_claimed_longer_ago_than_the_limit(smtp, frozen, settings):
    enqueue(email_notification("clock:1:breach:supervisor"), email_notification("clock:2:breach:supervisor"))
    # Both were claimed by workers that are gone (or still busy): the claim is all that is left.
    limit = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT * 2)
    OutboxMessage.objects.filter(key="clock:1:breach:supervisor").update(
        status=OutboxMessage.Status.SENDING, claimed_at=T0 - limit - timedelta(seconds=1), attempts=1
    )
    OutboxMessage.objects.filter(key="clock:2:breach:supervisor").update(
        status=OutboxMessage.Status.SENDING, claimed_at=T0 - limit, attempts=1
    )

    assert outbox_requeue_stuck() == 1

    old, recent = OutboxMessage.objects.order_by("key")
    assert (old.status, old.claimed_at, old.next_attempt_at) == (OutboxMessage.Status.PENDING, None, T0)
    # A worker may still be sending this one; requeueing it now would risk a duplicate.
    assert (recent.status, recent.claimed_at) == (OutboxMessage.Status.SENDING, T0 - limit)

    assert outbox_deliver() == DeliveryResult(sent=1)
    assert smtp.message_ids() == [message_id_for("clock:1:breach:supervisor")]
    old.refresh_from_db()
    assert (old.status, old.attempts) == (OutboxMessage.Status.SENT, 2)


# ---------------------------------------------------------------------------------------------
# SMS
# ---------------------------------------------------------------------------------------------


def sms_notification(key: str, *, language: str = "zh-hans") -> Notification:
    return Notification(
        key=key,
        channel=OutboxMessage.Channel.SMS,
        recipient="+8613800138000",
        template="sla_breach",
        context=EN_CONTEXT if language == "en" else ZH_CONTEXT,
        language=language,
    )


ZH_BREACH_BODY = (
    "您好，王芳：\n\n工单 SR-2026-0042 的「首次响应」已于 2026-11-24 17:30 超时，升级至第 2 级。\n"
    "请填写超时原因与补救措施，并尽快处理。\n\n查看详情：http://127.0.0.1:8000/tickets/42/\n—— 售后服务系统"
)


@dataclass(frozen=True)
class GatewayRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: dict


class SmsGateway:
    """A local HTTP SMS gateway that records every request and answers from a script."""

    def __init__(self) -> None:
        self.requests: list[GatewayRequest] = []
        self.answers: deque[tuple[int, bytes, dict[str, str]]] = deque()
        self.url = ""

    def answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.answers.append((status, body, headers or {}))


@pytest.fixture
def sms_gateway(settings):
    gateway = SmsGateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            payload = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {name.lower(): value for name, value in self.headers.items()}
            gateway.requests.append(GatewayRequest("POST", self.path, headers, json.loads(payload)))
            status, body, extra_headers = gateway.answers.popleft() if gateway.answers else (200, b'{"id": "gw-1"}', {})
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for name, value in extra_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/v1/messages"
    settings.SMS_BACKEND = "aftersales.core.outbox.sms.HttpGatewaySmsBackend"
    settings.SMS_GATEWAY_URL = gateway.url
    settings.SMS_GATEWAY_TOKEN = "gateway-secret"
    yield gateway
    server.shutdown()
    server.server_close()
    thread.join()


def test_console_sms_backend_prints_the_rendered_text(frozen, settings, capsys):
    settings.SMS_BACKEND = "aftersales.core.outbox.sms.ConsoleSmsBackend"
    enqueue(sms_notification("clock:17:breach:customer"))

    assert outbox_deliver() == DeliveryResult(sent=1)

    assert capsys.readouterr().out == f"[SMS to +8613800138000] {ZH_BREACH_BODY}\n"
    message = OutboxMessage.objects.get()
    assert message.status == OutboxMessage.Status.SENT
    assert message.delivery_attempts.get().provider_reference == "console:clock:17:breach:customer"


def test_http_gateway_receives_json_with_idempotency_key_and_bearer_token(sms_gateway, frozen):
    sms_gateway.answer(202, b'{"id": "gw-8812", "status": "queued"}')
    enqueue(sms_notification("clock:17:breach:customer"))

    assert outbox_deliver() == DeliveryResult(sent=1)

    [request] = sms_gateway.requests
    assert (request.method, request.path) == ("POST", "/v1/messages")
    assert request.headers["content-type"] == "application/json"
    assert request.headers["idempotency-key"] == "clock:17:breach:customer"
    assert request.headers["authorization"] == "Bearer gateway-secret"
    assert request.json == {"to": "+8613800138000", "text": ZH_BREACH_BODY, "reference": "clock:17:breach:customer"}
    message = OutboxMessage.objects.get()
    assert (message.status, message.sent_at) == (OutboxMessage.Status.SENT, T0)
    # The gateway's own id is kept, to match its delivery reports.
    assert message.delivery_attempts.get().provider_reference == "gw-8812"


def test_http_gateway_without_token_sends_no_authorization_and_falls_back_to_the_key(sms_gateway, frozen, settings):
    settings.SMS_GATEWAY_TOKEN = ""
    sms_gateway.answer(200, b"OK")  # not JSON: the key stands in for the provider reference
    enqueue(sms_notification("clock:17:breach:customer"))

    assert outbox_deliver() == DeliveryResult(sent=1)

    assert "authorization" not in sms_gateway.requests[0].headers
    assert OutboxMessage.objects.get().delivery_attempts.get().provider_reference == "clock:17:breach:customer"


def test_http_gateway_error_is_retried_with_the_same_idempotency_key(sms_gateway, frozen):
    sms_gateway.answer(500, b'{"error": "upstream timeout"}')
    sms_gateway.answer(200, b'{"id": "gw-9"}')
    enqueue(sms_notification("clock:17:breach:customer", language="en"))

    assert outbox_deliver() == DeliveryResult(failed_attempts=1)
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts, message.next_attempt_at) == (
        OutboxMessage.Status.PENDING,
        1,
        T0 + timedelta(seconds=30),
    )
    assert message.last_error.startswith("SmsDeliveryError: gateway answered 500")

    frozen.shift(timedelta(seconds=30))
    assert outbox_deliver() == DeliveryResult(sent=1)

    first, second = sms_gateway.requests
    # The gateway sees the same key and body twice and can drop the second if the first got through.
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"] == "clock:17:breach:customer"
    assert first.json == second.json
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert list(message.delivery_attempts.values_list("number", "succeeded", "provider_reference")) == [
        (1, False, ""),
        (2, True, "gw-9"),
    ]


def test_http_gateway_redirect_is_a_failure_not_a_silent_bodiless_get(sms_gateway, frozen):
    # urllib would follow a 302 of a POST as a GET without the message and call it delivered.
    sms_gateway.answer(302, b"", {"Location": sms_gateway.url + "/elsewhere"})
    enqueue(sms_notification("clock:17:breach:customer"))

    assert outbox_deliver() == DeliveryResult(failed_attempts=1)

    assert len(sms_gateway.requests) == 1
    assert OutboxMessage.objects.get().last_error.startswith("SmsDeliveryError: gateway answered 302")


def test_http_gateway_null_id_falls_back_to_the_key(sms_gateway, frozen):
    sms_gateway.answer(200, b'{"id": null}')
    enqueue(sms_notification("clock:17:breach:customer"))

    assert outbox_deliver() == DeliveryResult(sent=1)

    assert OutboxMessage.objects.get().delivery_attempts.get().provider_reference == "clock:17:breach:customer"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://gateway.example.com/sms", "gateway.example.com", ""])
def test_http_gateway_rejects_non_http_urls(sms_gateway, frozen, settings, url):
    settings.SMS_GATEWAY_URL = url
    with pytest.raises(SmsDeliveryError, match="must be an http"):
        HttpGatewaySmsBackend()

    # Misconfigured in production: the message waits for a fix instead of being lost.
    enqueue(sms_notification("clock:17:breach:customer"))
    assert outbox_deliver() == DeliveryResult(failed_attempts=1)
    message = OutboxMessage.objects.get()
    assert message.status == OutboxMessage.Status.PENDING
    assert message.last_error == "SmsDeliveryError: SMS_GATEWAY_URL must be an http(s) URL"
    assert sms_gateway.requests == []


# ---------------------------------------------------------------------------------------------
# In-app
# ---------------------------------------------------------------------------------------------


def test_in_app_message_is_delivered_without_a_provider(smtp, frozen, settings, django_user_model, capsys):
    settings.SMS_BACKEND = "aftersales.core.outbox.sms.ConsoleSmsBackend"
    supervisor = django_user_model.objects.create_user(username="supervisor")
    enqueue(
        Notification(
            key="clock:17:breach:in-app",
            channel=OutboxMessage.Channel.IN_APP,
            recipient=supervisor.username,
            recipient_user_id=supervisor.pk,
            template="sla_breach",
            context=ZH_CONTEXT,
        )
    )

    assert outbox_deliver() == DeliveryResult(sent=1)

    # The row itself is what the staff member reads: nothing leaves through any provider.
    [message] = supervisor.notifications.all()
    assert (message.status, message.sent_at, message.read_at) == (OutboxMessage.Status.SENT, T0, None)
    assert message.delivery_attempts.get().provider_reference == "in-app"
    assert smtp.received == []
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------------------------------------------
# Concurrency
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_delivery_runs_send_each_message_exactly_once(smtp, celery_broker):
    # Committed for real (the workers are other connections); the on-commit kick goes to the test's
    # own broker database, where no worker listens.
    keys = [f"clock:{number}:breach:supervisor" for number in range(50)]
    enqueue(
        *(
            email_notification(key, template="sla_breach", language=("en", "zh-hans")[n % 2])
            for n, key in enumerate(keys)
        )
    )

    start = threading.Barrier(2)
    results: list[DeliveryResult] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(timeout=10)
            # Tiny batches: ~25 claims per run, so the runs race for the same rows again and again
            # (without the row locks of the claim this test fails in practice every time).
            results.append(outbox_deliver(limit=2))
        except BaseException as error:  # the main thread reports it
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(result.sent for result in results) == 50
    assert sum(result.failed_attempts for result in results) == 0
    received = Counter(smtp.message_ids())
    assert received == Counter({message_id_for(key): 1 for key in keys})
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {(OutboxMessage.Status.SENT, 1)}
    assert DeliveryAttempt.objects.filter(succeeded=True).count() == 50


def test_many_enqueues_in_one_transaction_queue_one_delivery(frozen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        enqueue(email_notification("clock:17:warning:50:supervisor"))
        enqueue(email_notification("clock:17:warning:75:supervisor"))

    assert callbacks == [services._kick_delivery]
    assert OutboxMessage.objects.count() == 2


def test_requeue_stuck_with_an_explicit_zero_age_takes_every_claim(smtp, frozen):
    enqueue(email_notification("clock:9:breach:supervisor"))
    OutboxMessage.objects.update(status=OutboxMessage.Status.SENDING, claimed_at=T0, attempts=1)
    assert outbox_requeue_stuck(older_than=timedelta(0)) == 0  # claimed exactly now: not older than zero
    OutboxMessage.objects.update(claimed_at=T0 - timedelta(microseconds=1))
    assert outbox_requeue_stuck(older_than=timedelta(0)) == 1  # zero means zero, not the default


def test_every_template_the_code_sends_exists_in_both_languages_and_renders():
    """A template named in a service but missing its files would fail only at delivery, for ever."""
    import re
    from pathlib import Path

    from django.conf import settings

    from aftersales.core.outbox.rendering import render_message

    root = Path(settings.BASE_DIR)
    sources = [
        path for folder in ("aftersales", "tickets", "complaints", "warranty") for path in (root / folder).rglob("*.py")
    ]
    named = {
        name
        for path in sources
        if "/tests/" not in str(path)
        for name in re.findall(r'template="([a-z_]+)"', path.read_text(encoding="utf-8"))
    }
    assert {"ticket_created", "file_shared", "staff_file", "sla_breach"} <= named
    for name in sorted(named):
        for language in ("zh-hans", "en"):
            for part in ("subject", "body"):
                assert (root / "templates" / "notifications" / f"{name}.{language}.{part}.txt").exists(), name
            rendered = render_message(OutboxMessage(template=name, language=language, context={"number": "T1"}))
            assert rendered.subject and rendered.body, (name, language)


def test_enqueue_many_writes_set_based_and_skips_keys_already_stored_or_repeated(smtp, frozen, django_user_model):
    from django.contrib.contenttypes.models import ContentType

    from aftersales.core.outbox.services import outbox_enqueue_many

    user = django_user_model.objects.create_user(username="supervisor", email="supervisor@example.com")
    content_type = ContentType.objects.get_for_model(OutboxMessage)
    enqueue(email_notification("bulk:0"))  # stored before
    wanted = [
        email_notification(
            f"bulk:{index}",
            recipient=f"c{index}@example.com",
            recipient_user_id=user.pk if index == 1 else None,
            tracking_content_type_id=content_type.pk if index == 2 else None,
            tracking_object_id=7 if index == 2 else None,
        )
        for index in range(6)
    ]
    with transaction.atomic():
        new = outbox_enqueue_many([*reversed(wanted), wanted[3]])

    assert new == 5  # bulk:0 was there, bulk:3 is repeated within the call
    rows = {message.key: message for message in OutboxMessage.objects.all()}
    assert sorted(rows) == [f"bulk:{index}" for index in range(6)]
    first, linked = rows["bulk:1"], rows["bulk:2"]
    assert (first.channel, first.recipient, first.recipient_user, first.template, first.language) == (
        OutboxMessage.Channel.EMAIL,
        "c1@example.com",
        user,
        "sla_warning",
        "zh-hans",
    )
    assert first.context == ZH_CONTEXT
    assert (first.status, first.attempts, first.next_attempt_at, first.created_at, first.last_error) == (
        OutboxMessage.Status.PENDING,
        0,
        T0,
        T0,
        "",
    )
    assert (first.claimed_at, first.sent_at, first.read_at) == (None, None, None)
    assert (linked.tracking_content_type, linked.tracking_object_id) == (content_type, 7)
    assert rows["bulk:0"].recipient == "supervisor@example.com"  # the stored one is left as it was

    outbox_deliver()
    assert Counter(smtp.message_ids()) == Counter({message_id_for(f"bulk:{index}"): 1 for index in range(6)})


def test_enqueue_many_of_nothing_writes_and_kicks_nothing(django_capture_on_commit_callbacks):
    from aftersales.core.outbox.services import outbox_enqueue_many

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        assert outbox_enqueue_many([]) == 0
    assert callbacks == [] and not OutboxMessage.objects.exists()
