from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class TrackingLink(models.Model):
    """One secret link a customer follows to a case (``/track/<token>/``): only the token's hash is kept.

    A case has several live links: the one shown once when it was registered (the thanks page, the
    API's answer), one per message that carried a link (minted when the message is delivered, see
    ``core.outbox.services``), and later the "send me my link again" of a customer who lost theirs.
    ``revoked_at`` ends one link without touching the others. The lookup is one indexed query on
    ``token_hash`` whatever the kind of case (``core.trackables.trackable_find``).
    """

    class Purpose(models.TextChoices):
        INTAKE = "intake", _("Shown when registered")
        MESSAGE = "message", _("Sent in a message")
        MIGRATED = "migrated", _("Issued before links had their own table")

    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    created_at = models.DateTimeField(_("created at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("tracking link")
        verbose_name_plural = _("tracking links")
        indexes = [models.Index(fields=["content_type", "object_id"], name="core_trackinglink_subject_idx")]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id} ({self.purpose})"
