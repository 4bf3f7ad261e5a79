"""Files attached to a case (photos, invoices, reports): the shape every app's attachments share."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..uploads import random_upload_name, validate_attachment


def attachment_upload_path(instance, filename: str) -> str:
    """``attachments/<model>/<random>.<ext>``: one folder per kind, names nobody can guess."""
    return random_upload_name(f"attachments/{instance._meta.model_name}", filename)


class Attachment(models.Model):
    """An uploaded file and what is known about it; subclasses add the foreign key to their case.

    Created only through ``aftersales.core.attachments.attachment_create`` (or a service built on it),
    which checks the file first. Files are served only through views that check who asks
    (``attachment_response``), never from a public media URL.
    """

    file = models.FileField(
        _("file"), upload_to=attachment_upload_path, max_length=200, validators=[validate_attachment]
    )
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    by_customer = models.BooleanField(_("by the customer"), default=False)
    created_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name
