from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A notification written in the transaction that caused it and delivered later by Celery.

    ``key`` is the idempotency key (e.g. ``clock:17:breach:supervisor``): enqueueing the same key
    twice stores one message, and the key travels to the provider (email Message-ID, SMS gateway
    Idempotency-Key) so a delivery repeated after a crash can be dropped by the receiver.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        IN_APP = "in_app", _("In-app")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    key = models.CharField(_("idempotency key"), max_length=200, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    template = models.CharField(_("template"), max_length=100)
    context = models.JSONField(_("context"), default=dict, blank=True)
    # The case whose tracking link the message carries. The link itself is minted when the message
    # is delivered and rendered into its text, never stored here: whoever reads the outbox (staff,
    # a backup) cannot open the case as its customer.
    tracking_content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    tracking_object_id = models.PositiveBigIntegerField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="core_outbox_pending_idx"),
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="core_outbox_sending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.recipient} ({self.template}, {self.status})"


class DeliveryAttempt(models.Model):
    """The delivery log: one row per attempt to hand a message to its provider."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="delivery_attempts")
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    succeeded = models.BooleanField(_("succeeded"))
    error = models.TextField(_("error"), blank=True)
    provider_reference = models.CharField(_("provider reference"), max_length=200, blank=True)

    class Meta:
        ordering = ["message", "number"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"#{self.number} {'ok' if self.succeeded else 'failed'}"
