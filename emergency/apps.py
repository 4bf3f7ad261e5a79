from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmergencyConfig(AppConfig):
    name = "emergency"
    verbose_name = _("Emergency response")

    def ready(self) -> None:
        from aftersales.core.cases import register_case

        from .cases import INCIDENTS

        # The sweep's clock handler and the case kit's services: one spec.
        register_case(INCIDENTS)
