from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Service tickets")

    def ready(self) -> None:
        from aftersales.core.sla.registry import register_clock_handler
        from aftersales.core.trackables import register_trackable

        from . import sla
        from .api.public import TicketTrackable
        from .models import Ticket

        register_clock_handler(Ticket, sla.on_clock_events)
        # The customer's /track/<token>/ link may open a ticket (complaints register theirs).
        register_trackable(TicketTrackable())
