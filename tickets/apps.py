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
        # What SLA messages say about this kind, asked when they are delivered.
        from aftersales.core.sla.registry import register_clock_subject

        from .models import Ticket
        from .sla import describe_for_message

        register_clock_subject(Ticket, describe_for_message)
        # Its panels on the staff start page ("My work").
        from .workspace import register_panels

        register_panels()
