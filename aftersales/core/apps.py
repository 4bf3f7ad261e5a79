from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "aftersales.core"
    label = "core"
    verbose_name = _("Service core")

    def ready(self) -> None:
        from . import audit, roles  # audit: connects the login, logout and failed-login receivers

        del audit

        # Later apps add models (and so permissions) after core's data migration has run; keep
        # the role groups' permissions complete after every migrate.
        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="core.roles.sync")
