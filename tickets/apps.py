from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Service tickets")

    def ready(self) -> None:
        from aftersales.core.sla.registry import register_clock_handler

        from . import sla
        from .models import Ticket

        register_clock_handler(Ticket, sla.on_clock_events)
