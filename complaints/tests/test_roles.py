"""Every complaint action for every role: allowed where the role should, refused (403) everywhere else.

The expected table is written out here, independently of ``complaints/permissions.py`` and
``actions.py``, so a grant added or lost by accident shows up as a failing cell.
"""

import pytest
from django.core.exceptions import PermissionDenied

from complaints.actions import ACTIONS
from complaints.choices import Status
from complaints.services import complaint_create, complaint_transition
from conftest import shanghai

from . import factories
from .factories import PROPOSAL

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 24, 10)
CUSTOMER = "customer"

ALLOWED = {
    "agent": {"acknowledge", "classify", "confirm", "object", "contact_attempt", "close", "reopen", "withdraw"},
    "supervisor": set(ACTIONS) - {"approve_resolution", "reject_resolution"},
    "manager": {
        "investigate",
        "record_visit",
        "propose_resolution",
        "assign",
        "unlink",
        "approve_resolution",
        "reject_resolution",
    },
    "technician": set(),
    "coordinator": set(),
    "nobody": set(),
    CUSTOMER: {"confirm", "object", "reopen"},
}

# The state each action starts from, and the fields it needs.
SETUP = {
    "acknowledge": (Status.RECEIVED, {}),
    "classify": (Status.RECEIVED, {"severity": "major", "note": "triage"}),
    "withdraw": (Status.RECEIVED, {"note": "withdrawn by phone"}),
    "assign": (Status.ACKNOWLEDGED, {"owner": "agent"}),
    "investigate": (Status.ACKNOWLEDGED, {}),
    "record_visit": (Status.ACKNOWLEDGED, {}),
    "propose_resolution": (Status.INVESTIGATING, PROPOSAL),
    "approve_resolution": (Status.AWAITING_APPROVAL, {}),
    "reject_resolution": (Status.AWAITING_APPROVAL, {"note": "too much"}),
    "confirm": (Status.PROPOSED, {}),
    "object": (Status.PROPOSED, {"note": "not enough"}),
    "contact_attempt": (Status.PROPOSED, {"note": "no answer"}),
    "close": (Status.CONFIRMED, {"return_visit": "satisfied"}),
    "reopen": (Status.CLOSED, {"note": "again"}),
    "unlink": (Status.LINKED, {"note": "a different matter"}),
}


def test_the_table_covers_every_action():
    assert set(SETUP) == set(ACTIONS)


def _complaint_in(status: str, staff: dict, settings):
    if status == Status.LINKED:
        first = factories.complaint(now=T0, staff=staff)
        return complaint_create(customer=first.customer, category=first.category, description="again", now=T0).complaint
    if status == Status.AWAITING_APPROVAL:
        settings.COMPLAINT_COMPENSATION_APPROVAL_LIMIT = 50
        complaint = factories.complaint_in(Status.INVESTIGATING, staff=staff, now=T0)
        return complaint_transition(
            complaint=complaint, action="propose_resolution", actor=staff["supervisor"], data=dict(PROPOSAL), now=T0
        )
    return factories.complaint_in(status, staff=staff, now=T0)


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_role_may_or_may_not(action, role, make_user, settings):
    staff = factories.staff(make_user)
    status, data = SETUP[action]
    complaint = _complaint_in(status, staff, settings)
    assert complaint.status == status
    data = {**data, "owner": staff["agent"].username} if action == "assign" else dict(data)
    actor = None if role == CUSTOMER else staff[role]

    def perform():
        return complaint_transition(
            complaint=complaint, action=action, actor=actor, by_customer=role == CUSTOMER, data=data, now=T0
        )

    if action in ALLOWED[role]:
        assert perform().status != status or action in ("classify", "assign", "record_visit", "contact_attempt")
    else:
        with pytest.raises(PermissionDenied):
            perform()
        complaint.refresh_from_db()
        assert complaint.status == status
