"""The complaints API: staff list/retrieve/create/transition and the PDCA endpoints, the public intake
and tracking, and the 400/403/404/409 answers of CONTRACT.md §4."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from aftersales.core import clock
from aftersales.core.sla.sweep import sla_sweep
from complaints.choices import Status
from complaints.models import BreachReport, Complaint, CorrectiveAction
from complaints.services import complaint_transition
from conftest import shanghai

from . import factories
from .factories import PROPOSAL

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 24, 10)


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: T0 + timedelta(hours=1))


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def url(number: str = "", suffix: str = "") -> str:
    return f"/api/v1/complaints/{number + '/' if number else ''}{suffix}"


# --- list and retrieve ----------------------------------------------------------------------------


def test_the_list_is_for_the_complaint_desk_and_management_only(staff):
    factories.complaint(now=T0, staff=staff)
    for role in ("agent", "supervisor", "manager"):
        response = client_for(staff[role]).get(url())
        assert response.status_code == 200 and response.json()["count"] == 1, role
    for role in ("technician", "coordinator", "nobody"):
        response = client_for(staff[role]).get(url())
        assert response.status_code == 403 and response.json()["code"] == "permission_denied", role
    assert APIClient().get(url()).status_code in (401, 403)


def test_the_representation_has_the_contract_fields(staff):
    complaint = factories.complaint(now=T0, staff=staff, severity="major")
    body = client_for(staff["agent"]).get(url(complaint.number)).json()

    assert body["number"] == complaint.number and body["status"] == "received"
    assert body["created_at"].endswith("+08:00")
    assert body["actions"] == ["acknowledge", "classify", "withdraw"]
    assert body["escalation_level"] == 2
    assert {entry["name"] for entry in body["sla"]} == {"first_response", "resolution"}
    assert set(body["sla"][0]) == {"name", "due_at", "met_at", "paused_seconds", "state", "breached_at"}
    assert body["customer"]["phone"] == "13800138000"  # agents call customers
    assert client_for(staff["manager"]).get(url(complaint.number)).json()["customer"]["phone"] == "138****8000"


def test_unknown_numbers_are_404(staff):
    assert client_for(staff["agent"]).get(url("C2026112499999")).status_code == 404
    assert client_for(staff["agent"]).get(url("no%20such")).status_code == 404


def test_filters(staff):
    first = factories.complaint(now=T0, staff=staff)
    second = factories.complaint(
        now=T0, category="product.appearance", severity="critical", owner=factories.customer(phone="13900000001")
    )
    complaint_transition(complaint=second, action="acknowledge", actor=staff["supervisor"], now=T0)
    sla_sweep(now=T0 + timedelta(days=5))  # the first one's response is long overdue
    client = client_for(staff["supervisor"])

    def numbers(query: str) -> set[str]:
        response = client.get(url() + query)
        assert response.status_code == 200, response.json()
        return {row["number"] for row in response.json()["results"]}

    assert numbers("?category=product") == {second.number}
    assert numbers("?category=service.attitude") == {first.number}
    assert numbers("?severity=critical&status=acknowledged") == {second.number}
    assert numbers("?status=open") == {first.number, second.number}
    assert numbers("?queue=mine") == {second.number}
    assert numbers("?queue=unassigned") == {first.number}
    assert numbers(f"?search={first.number}") == {first.number}
    assert numbers("?breached=true") == {first.number, second.number}
    assert numbers("?due_before=2026-11-24T12:00:00%2B08:00") == set()  # the critical 1 h response was met
    assert numbers("?due_before=2026-11-25T11:00:00%2B08:00") == {first.number, second.number}
    for bad in ("?status=lost", "?category=weather", "?breached=maybe", "?due_before=yesterday", "?queue=all"):
        assert client.get(url() + bad).status_code == 400, bad


def test_the_list_costs_the_same_queries_for_5_and_25_complaints(staff):
    client = client_for(staff["agent"])
    client.get(url())  # the user's permissions are cached from the first request on

    def count_queries(total: int) -> int:
        for index in range(total - Complaint.objects.count()):
            factories.complaint(now=T0, owner=factories.customer(phone=f"1390000{index:04d}"))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url() + "?page_size=50").status_code == 200
        return len(captured)

    assert count_queries(5) == count_queries(25)


# --- create ----------------------------------------------------------------------------------------


def test_staff_register_a_complaint_and_get_the_tracking_link(staff):
    response = client_for(staff["agent"]).post(
        url(),
        {
            "customer": {"name": "钱多多", "phone": "139 1234 5678"},
            "category": "service.late_repair",
            "severity": "major",
            "channel": "letter",
            "description": "The repair took three weeks.",
            "owner": staff["supervisor"].username,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("C20261124") and "/track/" in body["tracking_url"]
    assert body["owner"] == staff["supervisor"].username and body["channel"] == "letter"
    assert response["Location"].endswith(f"/{body['number']}/")


def test_a_duplicate_is_linked_and_an_override_needs_a_reason(staff):
    first = factories.complaint(now=T0, staff=staff)
    client = client_for(staff["agent"])
    payload = {"customer": first.customer_id, "category": first.category, "description": "again"}

    linked = client.post(url(), payload, format="json").json()
    assert linked["status"] == "linked" and linked["duplicate_of"] == first.number
    refused = client.post(url(), {**payload, "allow_duplicate": True}, format="json")
    assert refused.status_code == 400 and "duplicate_reason" in refused.json()
    separate = client.post(url(), {**payload, "allow_duplicate": True, "duplicate_reason": "new fault"}, format="json")
    assert separate.json()["status"] == "received"


@pytest.mark.parametrize(
    "change, field",
    [
        ({"category": "product"}, "category"),
        ({"customer": 10**30}, "customer"),
        ({"customer": {"name": "x", "phone": "12"}}, "customer"),
        ({"serial": "NOPE"}, "serial"),
        ({"tickets": ["T0"]}, "tickets"),
        ({"owner": "ghost"}, "owner"),
        ({"description": "nul\x00"}, "description"),
        ({"severity": 3}, "severity"),
    ],
)
def test_create_refuses_bad_input_with_400_and_writes_nothing(staff, change, field):
    customer = factories.customer()
    payload = {"customer": customer.pk, "category": "service.attitude", "description": "rude", **change}
    response = client_for(staff["agent"]).post(url(), payload, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json() or response.json()["detail"]
    assert not Complaint.objects.exists()


def test_a_related_ticket_must_be_the_customers_own(staff):
    from tickets.services import ticket_create

    customer, other = factories.customer(), factories.customer(phone="13900000009")
    ticket = ticket_create(customer=other, ticket_type="repair", description="x", now=T0).ticket
    payload = {"customer": customer.pk, "category": "service.attitude", "description": "x", "tickets": [ticket.number]}
    response = client_for(staff["agent"]).post(url(), payload, format="json")
    assert response.status_code == 400 and "tickets" in response.json()


def test_roles_without_intake_cannot_create(staff):
    payload = {"customer": factories.customer().pk, "category": "service.attitude", "description": "x"}
    assert client_for(staff["manager"]).post(url(), payload, format="json").status_code == 403
    assert client_for(staff["technician"]).post(url(), payload, format="json").status_code == 403


# --- transitions ----------------------------------------------------------------------------------


def test_transition_answers_200_400_403_409(staff):
    complaint = factories.complaint(now=T0, staff=staff)
    agent = client_for(staff["agent"])
    path = url(complaint.number, "transition/")

    assert agent.post(path, {"action": "fly"}, format="json").status_code == 400
    assert agent.post(path, {}, format="json").status_code == 400
    assert agent.post(path, {"action": "investigate"}, format="json").status_code == 403
    conflict = client_for(staff["supervisor"]).post(path, {"action": "investigate"}, format="json")
    assert conflict.status_code == 409 and conflict.json()["code"] == "conflict"
    bad = agent.post(path, {"action": "acknowledge", "promised_by": "tomorrow"}, format="json")
    assert bad.status_code == 400 and "promised_by" in bad.json()
    assert agent.post(path, {"action": "acknowledge", "note": "a\x00b"}, format="json").status_code == 400
    assert agent.post(path, "[1, 2]", content_type="application/json").status_code == 400

    done = agent.post(path, {"action": "acknowledge", "note": "Called back."}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "acknowledged"
    assert done.json()["owner"] == staff["agent"].username
    assert client_for(staff["technician"]).post(path, {"action": "investigate"}, format="json").status_code == 403


def test_the_proposal_and_its_approval_through_the_api(staff, settings):
    settings.COMPLAINT_COMPENSATION_APPROVAL_LIMIT = 500
    complaint = factories.complaint_in(Status.INVESTIGATING, staff=staff, now=T0)
    path = url(complaint.number, "transition/")
    proposal = {"action": "propose_resolution", **PROPOSAL, "compensation_amount": 800}

    invalid = client_for(staff["supervisor"]).post(path, {**proposal, "root_causes": "nope"}, format="json")
    assert invalid.status_code == 400 and "root_causes" in invalid.json()
    waiting = client_for(staff["supervisor"]).post(path, proposal, format="json").json()
    assert waiting["status"] == "awaiting_approval" and waiting["compensation_amount"] == "800.00"
    assert "approve_resolution" not in waiting["actions"]
    manager_view = client_for(staff["manager"]).get(url(complaint.number)).json()
    assert {"approve_resolution", "reject_resolution"} <= set(manager_view["actions"])
    approved = client_for(staff["manager"]).post(path, {"action": "approve_resolution"}, format="json").json()
    assert approved["status"] == "proposed" and approved["approved_by"] == staff["manager"].username


def test_events_and_notes(staff):
    complaint = factories.complaint_in(Status.ACKNOWLEDGED, staff=staff, now=T0)
    agent = client_for(staff["agent"])
    note = agent.post(url(complaint.number, "notes/"), {"body": "Customer prefers calls after 18:00."}, format="json")
    assert note.status_code == 201 and note.json()["public"] is False
    events = agent.get(url(complaint.number, "events/")).json()["results"]
    assert [event["action"] for event in events] == ["create", "acknowledge", "note"]
    assert (
        client_for(staff["coordinator"]).post(url(complaint.number, "notes/"), {"body": "x"}, format="json").status_code
        == 403
    )


# --- corrective actions and late promises --------------------------------------------------------


def test_the_pdca_loop_through_the_api(staff):
    complaint = factories.complaint_in(Status.INVESTIGATING, staff=staff, now=T0)
    base = url(complaint.number, "corrective-actions/")
    plan = {
        "description": "Explain fees before every visit.",
        "owner": staff["agent"].username,
        "due_at": "2026-12-01T18:00:00+08:00",
    }

    assert client_for(staff["agent"]).post(base, plan, format="json").status_code == 403
    assert (
        client_for(staff["supervisor"])
        .post(base, {**plan, "due_at": "2026-01-01T00:00:00+08:00"}, format="json")
        .status_code
        == 400
    )
    assert client_for(staff["supervisor"]).post(base, {**plan, "owner": "ghost"}, format="json").status_code == 400
    created = client_for(staff["supervisor"]).post(base, plan, format="json")
    assert created.status_code == 201, created.json()
    action_id = created.json()["id"]

    verify = {"effective": True, "note": "Checked ten visits."}
    assert client_for(staff["manager"]).post(f"{base}{action_id}/verify/", verify, format="json").status_code == 409
    done = client_for(staff["agent"]).post(f"{base}{action_id}/complete/", {"note": "Script updated."}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert client_for(staff["agent"]).post(f"{base}{action_id}/verify/", verify, format="json").status_code == 403
    verified = client_for(staff["manager"]).post(f"{base}{action_id}/verify/", verify, format="json")
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    assert client_for(staff["manager"]).post(f"{base}999999/verify/", verify, format="json").status_code == 404
    detail = client_for(staff["agent"]).get(url(complaint.number)).json()
    assert detail["corrective_actions"][0]["verified_by"] == staff["manager"].username


def test_an_overdue_corrective_action_escalates_once(staff):
    complaint = factories.complaint_in(Status.INVESTIGATING, staff=staff, now=T0)
    from complaints.services import corrective_action_add

    action = corrective_action_add(
        complaint=complaint,
        description="Retrain",
        owner=staff["agent"],
        due_at=T0 + timedelta(days=2),
        actor=staff["supervisor"],
        now=T0,
    )
    sla_sweep(now=T0 + timedelta(days=3))
    sla_sweep(now=T0 + timedelta(days=3, minutes=1))
    action.refresh_from_db()
    assert action.escalation_level == 1
    from aftersales.core.models import OutboxMessage

    breach = OutboxMessage.objects.filter(
        template="sla_breach", channel="in_app", key__startswith=f"corrective:{action.pk}:"
    )
    assert sorted(message.recipient for message in breach) == sorted(
        [staff["agent"].username, staff["supervisor"].username]
    )


def test_a_late_promise_is_explained_through_the_api(staff):
    complaint = factories.complaint_in(Status.ACKNOWLEDGED, staff=staff, now=T0)
    sla_sweep(now=T0 + timedelta(days=10))
    report = BreachReport.objects.get(complaint=complaint)
    path = url(complaint.number, f"breach-reports/{report.pk}/explain/")
    assert client_for(staff["agent"]).post(path, {"explanation": "x"}, format="json").status_code == 400
    ok = client_for(staff["agent"]).post(path, {"explanation": "Short of staff.", "remedy": "Called."}, format="json")
    assert ok.status_code == 200 and ok.json()["done_by"] == staff["agent"].username
    assert client_for(staff["agent"]).post(path, {"explanation": "a", "remedy": "b"}, format="json").status_code == 409


# --- public intake and tracking -----------------------------------------------------------------------


def test_the_public_files_a_complaint_and_follows_it(staff):
    public = APIClient()
    response = public.post(
        "/api/v1/public/complaints/",
        {"category": "product.function_defect", "name": "孙悟空", "phone": "13700001111", "description": "It leaks."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("C") and body["linked_to"] is None and len(body["tracking_token"]) >= 22
    track = f"/api/v1/public/track/{body['tracking_token']}/"

    seen = public.get(track).json()
    assert (seen["kind"], seen["status"], seen["actions"]) == ("complaint", "received", ["message", "attach"])
    assert [entry["action"] for entry in seen["timeline"]] == ["create"]

    complaint = Complaint.objects.get(number=body["number"])
    for action, actor, data in [
        ("acknowledge", staff["agent"], {}),
        ("investigate", staff["supervisor"], {}),
        ("propose_resolution", staff["supervisor"], PROPOSAL),
    ]:
        complaint = complaint_transition(complaint=complaint, action=action, actor=actor, data=dict(data), now=T0)
    seen = public.get(track).json()
    assert seen["status"] == "proposed" and set(seen["actions"]) == {"message", "confirm", "object", "attach"}
    assert seen["resolution"]["compensation_kind"] == "coupon" and seen["owner"] == staff["agent"].username

    assert public.post(track + "object/", {}, format="json").status_code == 400  # a reason is required
    assert public.post(track + "rate/", {"score": 5}, format="json").status_code == 404  # not for complaints
    objected = public.post(track + "object/", {"reason": "Not enough."}, format="json")
    assert objected.status_code == 200 and objected.json()["status"] == "investigating"
    assert public.post(track + "confirm/", {}, format="json").status_code == 409
    assert public.post(track + "messages/", {"body": "Please call me."}, format="json").status_code == 201


def test_public_intake_refuses_bad_input(staff):
    public = APIClient()
    valid = {"category": "service.attitude", "name": "x", "phone": "13700001111", "description": "y"}
    for change in (
        {"category": "nope"},
        {"phone": "12"},
        {"description": ""},
        {"description": "a\x00"},
        {"email": "no"},
    ):
        response = public.post("/api/v1/public/complaints/", {**valid, **change}, format="json")
        assert response.status_code == 400, change
        assert set(response.json()) >= {"detail", "code"}
    assert not Complaint.objects.exists()
    second = public.post("/api/v1/public/complaints/", valid, format="json").json()
    again = public.post("/api/v1/public/complaints/", valid, format="json").json()
    assert again["linked_to"] == second["number"]


def test_a_stale_session_does_not_break_the_public_intake(staff):
    client = client_for(staff["technician"])
    valid = {"category": "service.attitude", "name": "x", "phone": "13700001111", "description": "y"}
    assert client.post("/api/v1/public/complaints/", valid, format="json").status_code == 201


def test_corrective_action_objects_exist_only_under_their_complaint(staff):
    first = factories.complaint_in(Status.INVESTIGATING, staff=staff, now=T0)
    second = factories.complaint_in(Status.INVESTIGATING, staff=staff, now=T0, category="service.late_repair")
    action = CorrectiveAction.objects.create(
        complaint=first,
        description="x",
        owner=staff["agent"],
        due_at=T0 + timedelta(days=1),
        created_by=staff["supervisor"],
        created_at=T0,
    )
    path = url(second.number, f"corrective-actions/{action.pk}/complete/")
    assert client_for(staff["agent"]).post(path, {"note": "done"}, format="json").status_code == 404
