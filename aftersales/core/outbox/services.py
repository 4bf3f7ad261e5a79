"""The notification outbox: enqueue in the caller's transaction, deliver later, exactly once.

``outbox_enqueue_many`` (and ``outbox_enqueue``, its keyword form) writes rows in the same
transaction as the event that caused them, so a rolled-back transition sends nothing and a
committed one cannot lose its message. Delivery claims due rows with ``FOR UPDATE SKIP LOCKED``
(any number of workers share the work), marks them ``sending``, hands them to the provider
outside the transaction, and records every attempt.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F

from .. import clock as wall_clock
from ..models import DeliveryAttempt, OutboxMessage, TrackingLink
from ..tracking import tracking_link_issue, tracking_url
from .rendering import render_message
from .sms import BaseSmsBackend, get_sms_backend

logger = logging.getLogger(__name__)

FIRST_RETRY_DELAY = timedelta(seconds=30)
MAX_RETRY_DELAY = timedelta(hours=6)
# A delivery run stops claiming new work before the task's soft time limit.
DELIVERY_RUN_BUDGET = timedelta(seconds=120)


@dataclass(frozen=True)
class Notification:
    """What a service asks to send; becomes one ``OutboxMessage``."""

    key: str
    channel: str
    recipient: str
    template: str
    context: dict = field(default_factory=dict)
    language: str = "zh-hans"
    recipient_user_id: int | None = None
    # The case whose tracking link the message carries, minted at delivery (``core.tracking``).
    tracking_content_type_id: int | None = None
    tracking_object_id: int | None = None


def _kick_delivery() -> None:
    from ..tasks import outbox_deliver_task

    try:
        outbox_deliver_task.delay()
    except Exception:  # the broker may be down; the periodic delivery task will pick the rows up
        logger.warning("could not queue outbox delivery; the periodic run will deliver", exc_info=True)


def _kick_delivery_after_commit() -> None:
    """One delivery task per transaction, however many enqueues it made (a sweep batch makes many)."""
    pending = transaction.get_connection().run_on_commit
    if not any(callback is _kick_delivery for _, callback, _ in pending):
        transaction.on_commit(_kick_delivery, robust=True)


# One statement per page of messages: each column travels as one array parameter and ``unnest``
# turns the arrays back into rows. psycopg2 adapts a list in one C call, where ``execute_values``
# formats every row with ``mogrify`` and PostgreSQL parses a VALUES list as long as the page: the
# same 100,000 messages took 4.9–5.7 s that way and 2.4–2.6 s this way (docs/benchmarks.md).
_INSERT = (
    "INSERT INTO core_outboxmessage (key, channel, recipient, recipient_user_id, language, template, context, "
    "tracking_content_type_id, tracking_object_id, status, attempts, next_attempt_at, last_error, created_at) "
    "SELECT key, channel, recipient, user_id, language, template, context::jsonb, content_type_id, object_id, "
    "'pending', 0, %s, '', %s "
    "FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[], %s::bigint[], %s::varchar[], %s::varchar[], "
    "%s::text[], %s::bigint[], %s::bigint[]) "
    "AS message(key, channel, recipient, user_id, language, template, context, content_type_id, object_id) "
    "ON CONFLICT (key) DO NOTHING"
)
# Messages per statement: large enough that statement overhead vanishes, small enough to keep each
# statement's memory modest.
_PAGE = 5000


def outbox_enqueue_many(messages: Iterable[Notification], *, now: datetime | None = None) -> int:
    """Store many messages in the caller's transaction at the speed of PostgreSQL; returns how many
    were new (a key already stored, or repeated in ``messages``, is skipped).

    One multi-row ``INSERT … SELECT … FROM unnest(…) ON CONFLICT (key) DO NOTHING`` per 5,000
    messages, from plain lists: no model instances, no per-field ``get_db_prep_value`` (which cost
    more than PostgreSQL itself). Rows go in key order, so two transactions writing overlapping keys
    wait for each other in one order instead of deadlocking. The sweep's handlers, paging and the
    notification of affected customers all come through here.
    """
    now = now or wall_clock.now()
    items = sorted(messages, key=lambda item: item.key)
    if not items:
        return 0
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":  # ``make run`` on SQLite: the same rows, Django's way
        inserted = _insert_with_models(items, now)
    else:
        inserted = 0
        with connection.cursor() as cursor:
            for start in range(0, len(items), _PAGE):
                page = items[start : start + _PAGE]
                cursor.cursor.execute(_INSERT, [now, now, *_columns(page)])
                inserted += cursor.cursor.rowcount
    _kick_delivery_after_commit()
    return inserted


def _columns(page: list[Notification]) -> list[list]:
    return [
        [item.key for item in page],
        [item.channel for item in page],
        [item.recipient for item in page],
        [item.recipient_user_id for item in page],
        [item.language for item in page],
        [item.template for item in page],
        [json.dumps(item.context) for item in page],
        [item.tracking_content_type_id for item in page],
        [item.tracking_object_id for item in page],
    ]


def _insert_with_models(items: list[Notification], now: datetime) -> int:
    before = OutboxMessage.objects.count()
    OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                key=item.key,
                channel=item.channel,
                recipient=item.recipient,
                recipient_user_id=item.recipient_user_id,
                language=item.language,
                template=item.template,
                context=item.context,
                tracking_content_type_id=item.tracking_content_type_id,
                tracking_object_id=item.tracking_object_id,
                next_attempt_at=now,
            )
            for item in items
        ],
        ignore_conflicts=True,
    )
    return OutboxMessage.objects.count() - before


def outbox_enqueue(*, notifications: Iterable[Notification], now: datetime | None = None) -> None:
    """Store notifications in the caller's transaction; a key already stored is skipped."""
    outbox_enqueue_many(notifications, now=now)


def _retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY_DELAY * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY)


def message_id_for(key: str) -> str:
    """A stable email Message-ID from the idempotency key, so a repeated delivery can be dropped."""
    # DEFAULT_FROM_EMAIL may carry a display name ("Service <service@example.com>").
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "aftersales.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


class _Senders:
    """Per-run provider connections, opened lazily and reused for every message of the run."""

    def __init__(self) -> None:
        self._email: BaseEmailBackend | None = None
        self._sms: BaseSmsBackend | None = None

    def send(self, message: OutboxMessage) -> str:
        if message.channel == OutboxMessage.Channel.IN_APP:
            return "in-app"  # the row itself is the notification the staff member reads
        rendered = render_message(message, extra=_tracking_context(message))
        if message.channel == OutboxMessage.Channel.EMAIL:
            if self._email is None:
                self._email = get_connection(fail_silently=False)
                self._email.open()  # kept open for the whole run instead of one connection per message
            email = EmailMultiAlternatives(
                subject=rendered.subject,
                body=rendered.body,
                to=[message.recipient],
                connection=self._email,
                headers={"Message-ID": message_id_for(message.key)},
            )
            try:
                email.send()
            except Exception:
                self.close()  # the connection may be broken: the next message opens a fresh one
                raise
            return message_id_for(message.key)
        if message.channel == OutboxMessage.Channel.SMS:
            if self._sms is None:
                self._sms = get_sms_backend()
            return self._sms.send(phone=message.recipient, text=rendered.body, idempotency_key=message.key)
        raise ValueError(f"unknown channel {message.channel!r}")

    def close(self) -> None:
        if self._email is not None:
            try:
                self._email.close()
            finally:
                self._email = None


def _tracking_context(message: OutboxMessage) -> dict:
    """A fresh link for a message that carries one: rendered into this delivery's text, kept nowhere.

    Minted (committed) before the send, so the link works when the customer opens it; a retried
    delivery mints another, which is fine: each is a live link to the same case.
    """
    if message.tracking_content_type_id is None or message.tracking_object_id is None:
        return {}
    token = tracking_link_issue(
        content_type_id=message.tracking_content_type_id,
        object_id=message.tracking_object_id,
        purpose=TrackingLink.Purpose.MESSAGE,
    )
    return {"tracking_url": tracking_url(token)}


def _claim(now: datetime, limit: int) -> list[OutboxMessage]:
    with transaction.atomic():
        ids = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        OutboxMessage.objects.filter(pk__in=ids).update(
            status=OutboxMessage.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    return list(OutboxMessage.objects.filter(pk__in=ids).order_by("pk"))


def _finish(message: OutboxMessage, started_at: datetime, *, reference: str = "", error: str = "") -> bool:
    finished_at = wall_clock.now()
    succeeded = not error
    with transaction.atomic():
        DeliveryAttempt.objects.create(
            message=message,
            # Counted from the log, not from ``attempts``, which a manual retry resets.
            number=DeliveryAttempt.objects.filter(message=message).count() + 1,
            started_at=started_at,
            finished_at=finished_at,
            succeeded=succeeded,
            error=error[:2000],
            provider_reference=reference[:200],
        )
        claimed = OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.SENDING)
        if succeeded:
            claimed.update(status=OutboxMessage.Status.SENT, sent_at=finished_at, last_error="")
        elif message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            claimed.update(status=OutboxMessage.Status.FAILED, last_error=error[:2000])
        else:
            claimed.update(
                status=OutboxMessage.Status.PENDING,
                next_attempt_at=finished_at + _retry_delay(message.attempts),
                last_error=error[:2000],
            )
    return succeeded


@dataclass
class DeliveryResult:
    sent: int = 0
    failed_attempts: int = 0


def outbox_deliver(*, limit: int | None = None, budget: timedelta = DELIVERY_RUN_BUDGET) -> DeliveryResult:
    """Deliver every due message (in batches) until none is due or the time budget is spent."""
    limit = limit or settings.OUTBOX_BATCH_SIZE
    result = DeliveryResult()
    senders = _Senders()
    deadline = wall_clock.now() + budget
    try:
        while wall_clock.now() < deadline:
            batch = _claim(wall_clock.now(), limit)
            if not batch:
                break
            for message in batch:
                started_at = wall_clock.now()
                try:
                    reference = senders.send(message)
                except Exception as error:  # any provider failure is retried with back-off
                    logger.warning("delivery of outbox message %s failed: %s", message.key, error)
                    _finish(message, started_at, error=f"{type(error).__name__}: {error}")
                    result.failed_attempts += 1
                else:
                    _finish(message, started_at, reference=reference)
                    result.sent += 1
    finally:
        senders.close()
    return result


def outbox_requeue_stuck(*, now: datetime | None = None, older_than: timedelta | None = None) -> int:
    """Put back messages left ``sending`` by a worker that died mid-delivery."""
    now = now or wall_clock.now()
    if older_than is None:
        # Twice the task time limit: no delivery run can still hold a claim that old (a solo pool
        # does not enforce the limit itself, hence the margin).
        older_than = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT * 2)
    return OutboxMessage.objects.filter(status=OutboxMessage.Status.SENDING, claimed_at__lt=now - older_than).update(
        status=OutboxMessage.Status.PENDING, next_attempt_at=now, claimed_at=None
    )


def outbox_retry(*, message_ids: Iterable[int], now: datetime | None = None) -> int:
    """Staff asked to try failed messages again (admin action)."""
    now = now or wall_clock.now()
    return OutboxMessage.objects.filter(pk__in=list(message_ids), status=OutboxMessage.Status.FAILED).update(
        status=OutboxMessage.Status.PENDING, next_attempt_at=now, attempts=0
    )


def outbox_settle_history(*, after_id: int, note: str) -> int:
    """Mark messages written while replaying history (demo data) as settled without sending them.

    Replayed months of tickets would otherwise mail and text every customer of the demo at once.
    The rows stay, as the record of what was notified back then.
    """
    return OutboxMessage.objects.filter(pk__gt=after_id, status=OutboxMessage.Status.PENDING).update(
        status=OutboxMessage.Status.SENT, sent_at=wall_clock.now(), last_error=note[:2000]
    )
