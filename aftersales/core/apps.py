from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "aftersales.core"
    label = "core"
    verbose_name = _("Service core")

    def ready(self) -> None:
        import re

        from django.conf import settings

        # audit: the login, logout and failed-login receivers; sessions: the sign-in time of a session.
        from . import audit, roles, sessions
        from .logging import register_secret_pattern

        del audit, sessions
        # A session id in a logged Cookie header is a login; a known-device cookie gets past a lockout.
        for cookie in (settings.SESSION_COOKIE_NAME, settings.LOGIN_DEVICE_COOKIE_NAME):
            register_secret_pattern(rf"\b{re.escape(cookie)}=(?P<secret>[^;,\s\"']+)")

        # Later apps add models (and so permissions) after core's data migration has run; keep
        # the role groups' permissions complete after every migrate.
        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="core.roles.sync")

        # SLA messages store their clock's id; the labels are rendered at delivery.
        from .outbox.rendering import register_message_context
        from .sla.messages import SLA_TEMPLATES, sla_message_context

        register_message_context(sla_message_context, *SLA_TEMPLATES)

        # The start page's panel of escalations that reached the user (core.workspace).
        from .workspace import register_core_panels

        register_core_panels()
