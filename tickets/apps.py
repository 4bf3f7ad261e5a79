from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Service tickets")

    def ready(self) -> None:
        from aftersales.core.cases import register_case

        from .cases import TICKETS

        # The SLA sweep's handler, the customer's /track/<token>/ link and the case kit: one spec.
        register_case(TICKETS)
