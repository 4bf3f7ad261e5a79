from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from aftersales.core.sla.registry import register_clock_handler
        from aftersales.core.trackables import register_trackable

        from . import sla
        from .models import Complaint, CorrectiveAction
        from .trackable import ComplaintTrackable

        register_clock_handler(Complaint, sla.on_complaint_clock_events)
        register_clock_handler(CorrectiveAction, sla.on_corrective_clock_events)
        # The customer's /track/<token>/ link opens a complaint as well as a ticket.
        register_trackable(ComplaintTrackable())
