from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from aftersales.core.cases import register_case

        from .cases import COMPLAINTS

        # The SLA sweep's handlers (complaints and their corrective actions), the customer's
        # /track/<token>/ link and the case kit: one spec.
        register_case(COMPLAINTS)
        # What SLA messages say about this kind, asked when they are delivered.
        from aftersales.core.sla.registry import register_clock_subject

        from .models import Complaint, CorrectiveAction
        from .sla import describe_complaint_for_message, describe_corrective_for_message

        register_clock_subject(Complaint, describe_complaint_for_message)
        register_clock_subject(CorrectiveAction, describe_corrective_for_message)
        # Its panels on the staff start page ("My work").
        from .workspace import register_panels

        register_panels()
