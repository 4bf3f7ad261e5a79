from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """One staff login of an API client (``POST /api/v1/auth/token/``): aftersales/core/tokens.py.

    Only a SHA-256 of the secret is stored — the token is 256 random bits, so a plain hash is as
    good as a slow one and lets the lookup be one unique-index probe — and the first characters,
    so people can tell their tokens apart in the admin. A token ends when it expires, or when it
    is revoked (logout, logout everywhere, too many tokens, an administrator); ended rows are kept
    a while for the record, then purged.
    """

    class Ended(models.TextChoices):
        LOGOUT = "logout", _("Logged out")
        LOGOUT_ALL = "logout_all", _("Logged out everywhere")
        REPLACED = "replaced", _("Replaced by newer logins")
        ADMIN = "admin", _("Revoked by an administrator")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("starts with"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    created_ip = models.GenericIPAddressField(_("created from"), null=True, blank=True)
    user_agent = models.CharField(_("client"), max_length=200, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(_("last used from"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.CharField(_("revoked because"), max_length=20, choices=Ended.choices, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "-created_at"], name="core_apitoken_user_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True, revoked_reason="")
                | models.Q(revoked_at__isnull=False) & ~models.Q(revoked_reason=""),
                name="core_apitoken_revoked_with_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    def is_active(self, now) -> bool:
        return self.revoked_at is None and self.expires_at > now
