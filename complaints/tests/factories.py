"""Test data for complaints: staff in their roles, customers with units, complaints in a given state."""

from aftersales.core.models import Customer
from complaints.models import Complaint
from complaints.services import complaint_create, complaint_transition
from tickets.tests.factories import customer, unit  # noqa: F401 - the same customers and units as tickets


def staff(make_user) -> dict:
    return {
        "agent": make_user("agent"),
        "agent2": make_user("agent"),
        "technician": make_user("technician"),
        "supervisor": make_user("supervisor"),
        "manager": make_user("manager"),
        "manager2": make_user("manager"),
        "coordinator": make_user("coordinator"),
        "nobody": make_user(None),
    }


PROPOSAL = {
    "cause": "service",
    "root_causes": ["miscommunication"],
    "findings": "The technician did not explain the fee before the visit.",
    "resolution_type": "compensation",
    "resolution": "Apology and a coupon for the next service.",
    "compensation_kind": "coupon",
    "compensation_amount": "100",
}

# The path of 004 §2.2–2.5 with the fields each step needs and who does it.
PATH = [
    ("acknowledge", "agent", {"note": "Called the customer back."}),
    ("investigate", "agent", {}),
    ("propose_resolution", "agent", PROPOSAL),
    ("confirm", None, {}),
    ("close", "agent", {"return_visit": "Customer satisfied with the apology."}),
]
_ORDER = ["received", "acknowledged", "investigating", "proposed", "confirmed", "closed"]


def complaint(*, owner: Customer | None = None, now, staff=None, **fields) -> Complaint:
    fields = {"category": "service.attitude", "description": "服务态度差", **fields}
    return complaint_create(customer=owner or customer(), now=now, actor=staff and staff["agent"], **fields).complaint


def complaint_in(status: str, *, staff: dict, now, **fields) -> Complaint:
    """A complaint walked along the path until it reaches ``status``, owned by the agent."""
    item = complaint(now=now, staff=staff, **fields)
    for action, role, data in PATH[: _ORDER.index(status)]:
        actor = staff[role] if role else None
        # The agent investigates too in these tests: give them the permission by ownership rules.
        if action in ("investigate", "propose_resolution"):
            actor = staff["supervisor"]
        item = complaint_transition(
            complaint=item, action=action, actor=actor, by_customer=role is None, data=dict(data), now=now
        )
    return item
