from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """Security-relevant events that are not a state change: logins, logouts, lockouts, denials.

    State changes have their own event tables (TicketEvent, ClockEvent, DeliveryAttempt,
    EntitlementDecision); this table does not repeat them. Append-only in the database.
    """

    class Action(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Login failed")
        LOGOUT = "logout", _("Logged out")
        LOCKED_OUT = "locked_out", _("Locked out")
        PERMISSION_DENIED = "permission_denied", _("Permission denied")
        SESSION_EXPIRED = "session_expired", _("Session expired")
        TOKEN_REVOKED = "token_revoked", _("API token revoked")

    occurred_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    # No database constraint: deleting a user must neither be blocked by nor erase their history;
    # ``username`` keeps who it was (and names the account tried in a failed login).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=10, blank=True)  # "admin", "api", …
    path = models.CharField(_("path"), max_length=300, blank=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=100, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["action", "-occurred_at"], name="core_audit_action_idx")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.username} {self.occurred_at:%Y-%m-%d %H:%M:%S}"
