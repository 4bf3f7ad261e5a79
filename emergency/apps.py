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
        # What SLA messages say about incidents and their checklist items, asked when delivered.
        from aftersales.core.sla.registry import register_clock_subject

        from .models import ChecklistItem, Incident
        from .plans import describe_item_for_message
        from .sla import describe_incident_for_message

        register_clock_subject(Incident, describe_incident_for_message)
        register_clock_subject(ChecklistItem, describe_item_for_message)
        # Pages and customer notices store ids; their texts (and a page's one-time link) are made at delivery.
        from aftersales.core.outbox.rendering import register_message_context

        from .notices import NOTICE_TEMPLATE, notice_message_context
        from .paging import PAGE_TEMPLATE, page_message_context

        register_message_context(page_message_context, PAGE_TEMPLATE)
        register_message_context(notice_message_context, NOTICE_TEMPLATE)
        # Its panel on the staff start page ("My work").
        from .workspace import register_panels

        register_panels()
