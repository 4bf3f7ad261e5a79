"""The complaint panels of the staff start page (``aftersales.core.workspace``), registered in ``apps.ready``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from aftersales.core.workspace import CaseQueue, CaseQueues, Panel, panel_content, panel_register

from .cases import COMPLAINTS
from .choices import OPEN_STATUSES, Status


def _detail(complaint) -> str:
    return " · ".join(part for part in (str(complaint.get_severity_display()), complaint.customer.name) if part)


QUEUES = CaseQueues(
    spec=COMPLAINTS,
    owner_field="owner",
    open_statuses=OPEN_STATUSES,
    detail=_detail,
    select_related=("customer",),
    waiting_statuses=frozenset({Status.RECEIVED}),
)


def _approvals(user, now):
    """Resolutions whose compensation is above the limit, waiting for this manager's decision."""
    if not user.has_perm("complaints.approve_compensation"):
        return None
    waiting = COMPLAINTS.people.visible_to(user).filter(status=Status.AWAITING_APPROVAL)
    waiting = waiting.select_related("customer").order_by("created_at", "pk")
    return panel_content(
        waiting,
        lambda complaint: QUEUES.row(complaint, now),
        QUEUES.changelist_url(f"status__exact={Status.AWAITING_APPROVAL}"),
    )


def register_panels() -> None:
    panel_register(
        QUEUES.panel(
            CaseQueue.WAITING,
            key="complaints.received",
            title=_("Complaints waiting for a first response"),
            roles={"agent", "supervisor"},
            order=11,
            empty=_("No new complaints."),
        )
    )
    panel_register(
        QUEUES.panel(
            CaseQueue.MINE,
            key="complaints.mine",
            title=_("My complaints"),
            roles={"agent", "supervisor"},
            order=21,
            empty=_("No open complaints of yours."),
        )
    )
    panel_register(
        QUEUES.panel(
            CaseQueue.REPLIED,
            key="complaints.replied",
            title=_("Complaints where the customer wrote last"),
            roles={"agent", "supervisor"},
            order=31,
            empty=_("No customer is waiting for an answer."),
        )
    )
    panel_register(
        QUEUES.panel(
            CaseQueue.UNASSIGNED,
            key="complaints.unassigned",
            title=_("Complaints without an owner"),
            roles={"supervisor"},
            order=41,
            empty=_("Every open complaint has an owner."),
        )
    )
    panel_register(
        QUEUES.panel(
            CaseQueue.BREACHED,
            key="complaints.breached",
            title=_("Late complaints"),
            roles={"supervisor", "manager"},
            order=51,
            empty=_("No complaint is late."),
        )
    )
    panel_register(
        Panel(
            key="complaints.approvals",
            title=_("Resolutions waiting for approval"),
            roles=frozenset({"manager", "supervisor"}),
            read=_approvals,
            order=8,
            empty=_("Nothing waits for your approval."),
        )
    )
