"""The staff tickets API from the outside (CONTRACT.md §4): who sees and does what, the ticket's
shape (``actions``, ``sla``), filters and searches, 400/403/404/409, query counts, and two requests
racing for one ticket against real PostgreSQL.
"""

from __future__ import annotations

import importlib
import json
import threading
from datetime import timedelta

import pytest
from django.apps import apps as global_apps
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from aftersales.core.calendars.services import calendar_ensure_defaults
from aftersales.core.models import Customer
from aftersales.core.privacy import mask_phone
from aftersales.core.sla.sweep import sla_sweep
from conftest import shanghai
from tickets.choices import Status
from tickets.models import PartUsage, Ticket, TicketEvent
from tickets.services import ticket_create, ticket_staff_note, ticket_transition

from . import factories

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 23, 10)
LIST_URL = "/api/v1/tickets/"


def url(ticket, suffix: str = "") -> str:
    return f"{LIST_URL}{ticket.number}/{suffix}"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"] and isinstance(body["code"], str) and body["code"]
    return body


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


@pytest.fixture
def now(time_machine):
    """API calls read the clock; hold it at a known moment (it does not tick)."""
    moment = T0 + timedelta(minutes=30)
    time_machine.move_to(moment, tick=False)
    return moment


def new_ticket(staff, status=Status.NEW, **kwargs):
    return factories.ticket_in(status, staff=staff, now=T0, **kwargs)


def numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


# --- who may see what --------------------------------------------------------------------------


def test_anonymous_requests_are_refused_with_401(staff):
    ticket = new_ticket(staff)
    client = APIClient()
    for response in (
        client.get(LIST_URL),
        client.get(url(ticket)),
        client.post(LIST_URL, {}, format="json"),
        client.post(url(ticket, "transition/"), {"action": "acknowledge"}, format="json"),
    ):
        assert_error(response, 401)


def test_a_user_without_a_role_is_refused_with_403(staff):
    ticket = new_ticket(staff)
    client = client_for(staff["nobody"])
    assert_error(client.get(LIST_URL), 403)
    assert_error(client.get(url(ticket)), 403)
    # The same answer for a number that does not exist: no one learns which numbers are taken.
    assert_error(client.get(f"{LIST_URL}T2099010100001/"), 403)


@pytest.mark.parametrize("role", ["agent", "supervisor", "manager", "coordinator"])
def test_queue_roles_see_every_ticket(staff, role):
    unassigned = new_ticket(staff)
    assigned = new_ticket(staff, Status.DISPATCHED)

    assert set(numbers(client_for(staff[role]).get(LIST_URL))) == {unassigned.number, assigned.number}
    assert client_for(staff[role]).get(url(unassigned)).status_code == 200


def test_a_technician_sees_only_the_tickets_assigned_to_them(staff, make_user):
    own = new_ticket(staff, Status.DISPATCHED)
    unassigned = new_ticket(staff)
    colleague = factories.technician(make_user)
    theirs = new_ticket({**staff, "technician": colleague}, Status.DISPATCHED)
    client = client_for(staff["technician"])

    assert numbers(client.get(LIST_URL)) == [own.number]
    assert client.get(url(own)).status_code == 200
    # Someone else's ticket, or nobody's, does not exist for them (least privilege): 404, not 403.
    for ticket in (theirs, unassigned):
        assert_error(client.get(url(ticket)), 404)
        assert_error(client.post(url(ticket, "transition/"), {"action": "start_work"}, format="json"), 404)
        assert_error(client.get(url(ticket, "events/")), 404)


def test_unknown_and_malformed_numbers_are_404(staff):
    client = client_for(staff["agent"])
    assert_error(client.get(f"{LIST_URL}T2099010100001/"), 404)
    assert_error(client.get(f"{LIST_URL}T%00X/"), 404)
    assert_error(client.get(f"{LIST_URL}{'9' * 300}/"), 404)


# --- the representation ------------------------------------------------------------------------


def test_the_ticket_shows_number_status_actions_sla_and_escalation(staff, now):
    ticket = new_ticket(staff, priority="high")

    body = client_for(staff["agent"]).get(url(ticket)).json()

    assert body["number"] == ticket.number and body["number"].startswith("T")
    assert body["status"] == "new"
    assert body["type"] == "repair" and body["priority"] == "high" and body["channel"] == "phone"
    assert body["created_at"] == "2026-11-23T10:00:00+08:00"  # ISO-8601 with the offset
    assert body["actions"] == ["acknowledge", "cancel"]
    assert body["escalation_level"] == 0
    assert body["assignee"] is None and body["serial"] is None and body["entitlement"] is None
    assert body["customer"]["phone"] == "13800138000"  # agents call customers
    clocks = {clock["name"]: clock for clock in body["sla"]}
    assert set(clocks) == {"first_response", "on_site", "resolution"}
    assert clocks["first_response"] == {
        "name": "first_response",
        "due_at": "2026-11-23T12:00:00+08:00",
        "met_at": None,
        "paused_seconds": 0,
        "state": "running",
        "breached_at": None,
    }
    assert body["parts"] == []


@pytest.mark.parametrize(
    ("role", "status", "actions"),
    [
        ("agent", Status.NEW, ["acknowledge", "cancel"]),
        ("supervisor", Status.NEW, ["acknowledge", "cancel"]),
        ("manager", Status.NEW, []),
        ("coordinator", Status.NEW, []),
        ("agent", Status.DISPATCHED, ["wait_customer", "cancel"]),
        ("supervisor", Status.DISPATCHED, ["dispatch", "start_work", "wait_parts", "wait_customer", "cancel"]),
        # Technicians see only their own tickets; this one is dispatched to them.
        ("technician", Status.DISPATCHED, ["start_work", "wait_parts"]),
    ],
)
def test_actions_are_what_this_user_may_do_now(staff, role, status, actions):
    ticket = new_ticket(staff, status)
    assert client_for(staff[role]).get(url(ticket)).json()["actions"] == actions


def test_contact_details_are_masked_for_roles_that_do_not_call_customers(staff):
    ticket = new_ticket(staff)

    customer = client_for(staff["manager"]).get(url(ticket)).json()["customer"]

    assert customer["phone"] == mask_phone("13800138000") != "13800138000"
    assert customer["email"] == "z***@example.com"
    assert customer["name"] == "赵敏"


def test_sla_shows_only_the_current_cycle_of_each_clock(staff):
    ticket = new_ticket(staff, Status.RESOLVED)
    ticket_transition(ticket=ticket, action="reopen", by_customer=True, data={"note": "又坏了"}, now=T0)

    clocks = client_for(staff["agent"]).get(url(ticket)).json()["sla"]

    # Resolution restarted (cycle 2, running); the met first-response and on-site promises stay;
    # the return-visit clock that reopening cancelled is no promise any more.
    assert [(clock["name"], clock["state"]) for clock in clocks] == [
        ("first_response", "met"),
        ("on_site", "met"),
        ("resolution", "running"),
    ]


def test_a_diagnosed_registered_unit_shows_its_entitlement_and_serial(staff):
    owner = factories.customer()
    unit = factories.unit(owner=owner)
    created = ticket_create(customer=owner, ticket_type="repair", description="漏水", unit=unit, now=T0)
    ticket_transition(ticket=created.ticket, action="acknowledge", actor=staff["agent"], now=T0)
    ticket_transition(
        ticket=created.ticket, action="diagnose", actor=staff["agent"], data={"fault_cause": "liquid"}, now=T0
    )

    body = client_for(staff["agent"]).get(url(created.ticket)).json()

    assert body["serial"] == unit.serial
    assert body["product_model"]["code"] == "KFR-35GW"
    assert body["entitlement"]["in_warranty"] is True
    assert body["entitlement"]["charges"]["parts"] == "at_cost"
    assert body["entitlement"]["reasons"]


# --- create --------------------------------------------------------------------------------------


def test_an_agent_registers_a_request_for_an_existing_customer(staff):
    owner = factories.customer()

    response = client_for(staff["agent"]).post(
        LIST_URL,
        {"type": "repair", "customer": owner.pk, "description": "不制冷", "priority": "high"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    ticket = Ticket.objects.get(number=body["number"])
    assert response["Location"].endswith(f"/api/v1/tickets/{ticket.number}/")
    assert body["tracking_url"].startswith("http") and "/track/" in body["tracking_url"]
    assert (ticket.customer, ticket.priority, ticket.channel) == (owner, "high", "phone")
    assert body["status"] == "new" and body["actions"] == ["acknowledge", "cancel"]
    assert {clock["name"] for clock in body["sla"]} == {"first_response", "on_site", "resolution"}
    assert ticket.events.get().actor == staff["agent"]


def test_a_new_customer_is_created_unless_the_phone_is_known(staff):
    client = client_for(staff["agent"])
    payload = {"type": "consultation", "description": "怎么清洗滤网", "channel": "wechat"}

    first = client.post(
        LIST_URL,
        {**payload, "customer": {"name": "钱多多", "phone": "139 0000-1111", "email": "q@example.com"}},
        format="json",
    )
    again = client.post(LIST_URL, {**payload, "customer": {"name": "Qian", "phone": "13900001111"}}, format="json")

    assert first.status_code == again.status_code == 201, (first.content, again.content)
    customer = Customer.objects.get(phone="13900001111")
    assert customer.name == "钱多多"  # found by the normalised number, not overwritten
    assert first.json()["customer"]["id"] == again.json()["customer"]["id"] == customer.pk


def test_a_known_serial_attaches_the_unit_and_an_unknown_one_is_refused(staff):
    owner = factories.customer()
    unit = factories.unit(owner=owner)
    client = client_for(staff["agent"])
    payload = {"type": "repair", "customer": owner.pk, "description": "噪音大"}

    attached = client.post(LIST_URL, {**payload, "serial": unit.serial.lower()}, format="json")
    unknown = client.post(LIST_URL, {**payload, "serial": "NOPE-1"}, format="json")

    assert attached.status_code == 201
    assert attached.json()["serial"] == unit.serial
    assert "serial" in assert_error(unknown, 400)


EXISTING = object()  # replaced by an existing customer's id


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"customer": EXISTING, "description": "x"}, "type"),
        ({"type": "teleport", "customer": EXISTING, "description": "x"}, "type"),
        ({"type": "repair", "description": "x"}, "customer"),
        ({"type": "repair", "customer": 999999, "description": "x"}, "customer"),
        ({"type": "repair", "customer": 2**70, "description": "x"}, "customer"),
        ({"type": "repair", "customer": True, "description": "x"}, "customer"),
        ({"type": "repair", "customer": {"name": "A"}, "description": "x"}, "customer"),
        ({"type": "repair", "customer": {"name": "A", "phone": "abc"}, "description": "x"}, "customer"),
        ({"type": "repair", "customer": EXISTING}, "description"),
        ({"type": "repair", "customer": EXISTING, "description": "x", "priority": "urgentest"}, "priority"),
        ({"type": "repair", "customer": EXISTING, "description": "x", "channel": "pigeon"}, "channel"),
        ({"type": "repair", "customer": EXISTING, "description": "a\u0000b"}, "description"),
    ],
)
def test_create_validation_errors_name_the_field(staff, payload, field):
    owner = factories.customer()
    payload = {**payload, "customer": owner.pk} if payload.get("customer") is EXISTING else payload

    body = assert_error(client_for(staff["agent"]).post(LIST_URL, payload, format="json"), 400)

    assert field in body
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("role", ["technician", "manager", "coordinator", "nobody"])
def test_only_the_service_desk_registers_requests(staff, role):
    owner = factories.customer()
    response = client_for(staff[role]).post(
        LIST_URL, {"type": "repair", "customer": owner.pk, "description": "x"}, format="json"
    )
    assert_error(response, 403)
    assert Ticket.objects.count() == 0


# --- transitions ---------------------------------------------------------------------------------


def test_a_transition_answers_with_the_updated_ticket(staff):
    ticket = new_ticket(staff)

    response = client_for(staff["agent"]).post(
        url(ticket, "transition/"), {"action": "acknowledge", "note": "已致电客户"}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "acknowledged"
    assert body["acknowledged_at"] is not None
    assert "acknowledge" not in body["actions"] and "diagnose" in body["actions"]
    assert {clock["name"]: clock["state"] for clock in body["sla"]}["first_response"] == "met"
    event = ticket.events.get(action="acknowledge")
    assert (event.actor, event.note, event.from_status, event.to_status) == (
        staff["agent"],
        "已致电客户",
        "new",
        "acknowledged",
    )


def test_the_repair_path_through_the_api(staff):
    ticket = new_ticket(staff)
    steps = [
        ("agent", {"action": "acknowledge"}),
        ("agent", {"action": "diagnose", "diagnosis": "压缩机继电器粘连", "fault_cause": "quality_defect"}),
        ("supervisor", {"action": "dispatch", "technician": staff["technician"].username}),
        ("technician", {"action": "start_work"}),
        ("technician", {"action": "resolve", "resolution": "更换继电器", "functional_test": "passed"}),
        ("agent", {"action": "close"}),
    ]
    for role, body in steps:
        response = client_for(staff[role]).post(url(ticket, "transition/"), body, format="json")
        assert response.status_code == 200, (body, response.content)
    assert response.json()["status"] == "closed"
    assert response.json()["assignee"] == staff["technician"].username


def test_an_action_in_the_wrong_state_is_409_and_writes_nothing(staff):
    ticket = new_ticket(staff)

    body = assert_error(
        client_for(staff["supervisor"]).post(
            url(ticket, "transition/"),
            {"action": "resolve", "resolution": "x", "functional_test": "passed"},
            format="json",
        ),
        409,
    )

    assert body["code"] == "conflict"
    assert ticket.events.count() == 1


@pytest.mark.parametrize(
    ("role", "action", "status"),
    [
        ("manager", "acknowledge", Status.NEW),
        ("coordinator", "cancel", Status.NEW),
        ("agent", "dispatch", Status.DIAGNOSING),
        ("agent", "resolve", Status.IN_PROGRESS),
    ],
)
def test_an_action_this_role_may_not_do_is_403(staff, role, action, status):
    ticket = new_ticket(staff, status)

    body = assert_error(
        client_for(staff[role]).post(url(ticket, "transition/"), {"action": action, "note": "x"}, format="json"), 403
    )

    assert body["code"] == "permission_denied"
    assert ticket.events.count() == len(factories.REPAIR_PATH[: _step(status)]) + 1


def _step(status) -> int:
    return {Status.NEW: 0, Status.DIAGNOSING: 2, Status.IN_PROGRESS: 4}[status]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "action"),
        ({"action": "teleport"}, "action"),
        ({"action": ["acknowledge"]}, "action"),
        ({"action": "cancel"}, "note"),  # a cancellation says why
        ({"action": "acknowledge", "note": {"text": "x"}}, "note"),
        ({"action": "acknowledge", "note": "x" * 5001}, "note"),
    ],
)
def test_transition_validation_errors_name_the_field(staff, body, field):
    ticket = new_ticket(staff)
    assert field in assert_error(client_for(staff["agent"]).post(url(ticket, "transition/"), body, format="json"), 400)


def test_dispatching_needs_a_certified_technician(staff, make_user):
    ticket = new_ticket(staff, Status.DIAGNOSING)
    trainee = factories.technician(make_user, certified=False)
    client = client_for(staff["supervisor"])

    for technician in ("", "nobody-here", trainee.username):
        body = assert_error(
            client.post(url(ticket, "transition/"), {"action": "dispatch", "technician": technician}, format="json"),
            400,
        )
        assert "technician" in body


DIAGNOSING_WITH_QUOTE = "diagnosing-with-unit"


@pytest.mark.parametrize(
    ("raw", "content_type", "status"),
    [
        pytest.param("{not json", "application/json", Status.NEW, id="broken-json"),
        pytest.param("null", "application/json", Status.NEW, id="json-null"),
        pytest.param("[1, 2]", "application/json", Status.NEW, id="json-list"),
        pytest.param('"acknowledge"', "application/json", Status.NEW, id="json-string"),
        pytest.param("[" * 50_000 + "]" * 50_000, "application/json", Status.NEW, id="nested-too-deep"),
        pytest.param('{"action": "acknowledge", "note": "a\\u0000b"}', "application/json", Status.NEW, id="nul-note"),
        pytest.param('{"action": "acknowledge", "x\\u0000": 1}', "application/json", Status.NEW, id="nul-key"),
        pytest.param(json.dumps({"action": "a" * 100_000}), "application/json", Status.NEW, id="huge-action"),
        pytest.param(b"\xff\xfe\x00", "application/json", Status.NEW, id="not-utf8"),
        pytest.param("action=acknowledge", "application/x-www-form-urlencoded", Status.NEW, id="form-encoded"),
        pytest.param(
            json.dumps(
                {"action": "dispatch", "technician": "technician-2", "appointment_at": "2026-13-45T10:00+08:00"}
            ),
            "application/json",
            Status.DIAGNOSING,
            id="impossible-appointment",
        ),
        pytest.param(
            json.dumps({"action": "dispatch", "technician": "technician-2", "appointment_at": "tomorrow"}),
            "application/json",
            Status.DIAGNOSING,
            id="unparsable-appointment",
        ),
        pytest.param(
            json.dumps({"action": "dispatch", "technician": {"a": 1}}),
            "application/json",
            Status.DIAGNOSING,
            id="technician-object",
        ),
        pytest.param(
            json.dumps({"action": "request_quote", "labour_hours": "NaN", "parts": []}),
            "application/json",
            DIAGNOSING_WITH_QUOTE,
            id="nan-hours",
        ),
        pytest.param(
            json.dumps(
                {"action": "request_quote", "labour_hours": "1", "parts": [{"part_number": "P", "quantity": "sNaN"}]}
            ),
            "application/json",
            DIAGNOSING_WITH_QUOTE,
            id="snan-quantity",
        ),
        pytest.param(
            json.dumps({"action": "request_quote", "parts": "all of them"}),
            "application/json",
            DIAGNOSING_WITH_QUOTE,
            id="parts-not-a-list",
        ),
        pytest.param(
            '{"action": "request_quote", "labour_hours": 1e999999}',
            "application/json",
            DIAGNOSING_WITH_QUOTE,
            id="infinite-hours",
        ),
    ],
)
def test_malformed_transition_bodies_get_a_4xx_never_a_5xx(staff, raw, content_type, status):
    if status == DIAGNOSING_WITH_QUOTE:
        owner = factories.customer()
        created = ticket_create(
            customer=owner, ticket_type="repair", description="x", unit=factories.unit(owner=owner), now=T0
        )
        ticket = ticket_transition(ticket=created.ticket, action="acknowledge", actor=staff["agent"], now=T0)
        ticket = ticket_transition(
            ticket=ticket, action="diagnose", actor=staff["agent"], data={"fault_cause": "liquid"}, now=T0
        )
    else:
        ticket = new_ticket(staff, status)
    events = ticket.events.count()
    client = client_for(staff["supervisor"])

    response = client.generic("POST", url(ticket, "transition/"), raw, content_type=content_type)

    assert 400 <= response.status_code < 500, response.content
    assert_error(response, response.status_code)
    assert ticket.events.count() == events


# --- events, notes, parts --------------------------------------------------------------------------


def test_events_are_the_whole_timeline_for_staff(staff):
    ticket = new_ticket(staff, Status.ACKNOWLEDGED)
    ticket_staff_note(ticket=ticket, body="客户脾气急", actor=staff["agent"], public=False, now=T0)

    response = client_for(staff["manager"]).get(url(ticket, "events/"))

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["action"] for row in rows] == ["create", "acknowledge", "note"]
    assert rows[2]["public"] is False and rows[2]["note"] == "客户脾气急"
    assert rows[1]["actor"] == staff["agent"].username
    assert rows[0]["at"].endswith("+08:00")


def test_notes_internal_or_public_by_role(staff):
    ticket = new_ticket(staff, Status.DISPATCHED)

    public = client_for(staff["agent"]).post(
        url(ticket, "notes/"), {"body": "技师明天上午到", "public": True}, format="json"
    )
    internal = client_for(staff["technician"]).post(url(ticket, "notes/"), {"body": "需带梯子"}, format="json")
    technician_public = client_for(staff["technician"]).post(
        url(ticket, "notes/"), {"body": "hello", "public": True}, format="json"
    )
    manager = client_for(staff["manager"]).post(url(ticket, "notes/"), {"body": "hm"}, format="json")
    empty = client_for(staff["agent"]).post(url(ticket, "notes/"), {"body": "  "}, format="json")

    assert public.status_code == internal.status_code == 201, (public.content, internal.content)
    assert public.json()["public"] is True and internal.json()["public"] is False
    assert internal.json()["actor"] == staff["technician"].username
    assert_error(technician_public, 403)
    assert_error(manager, 403)
    assert "body" in assert_error(empty, 400)
    assert ticket.events.filter(action="note").count() == 2


def test_parts_are_recorded_by_the_technician_while_working(staff):
    ticket = new_ticket(staff, Status.IN_PROGRESS)
    part = {"part_number": "RLY-220", "description": "继电器", "quantity": 1, "unit_cost": "35.50"}

    response = client_for(staff["technician"]).post(url(ticket, "parts/"), part, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["part_number"] == "RLY-220" and response.json()["unit_cost"] == "35.50"
    assert response.json()["recorded_by"] == staff["technician"].username
    detail = client_for(staff["agent"]).get(url(ticket)).json()
    assert [row["part_number"] for row in detail["parts"]] == ["RLY-220"]


def test_parts_refusals(staff):
    new = new_ticket(staff)
    working = new_ticket(staff, Status.IN_PROGRESS)
    part = {"part_number": "RLY-220", "description": "继电器", "quantity": 1, "unit_cost": "35.50"}

    assert_error(client_for(staff["agent"]).post(url(working, "parts/"), part, format="json"), 403)
    assert_error(client_for(staff["supervisor"]).post(url(new, "parts/"), part, format="json"), 409)
    for bad in ({"quantity": 0}, {"quantity": "lots"}, {"unit_cost": "NaN"}, {"unit_cost": "-1"}, {"part_number": ""}):
        body = assert_error(
            client_for(staff["technician"]).post(url(working, "parts/"), {**part, **bad}, format="json"), 400
        )
        assert set(bad) <= set(body)
    assert PartUsage.objects.count() == 0


def test_dispatch_candidates_rank_by_skill_region_and_load(staff, make_user, settings):
    settings.LANGUAGE_CODE = "en"  # the reasons are read in English below
    from tickets.models import Technician
    from warranty.models import ProductCategory

    owner = factories.customer()
    created = ticket_create(
        customer=owner, ticket_type="repair", description="x", unit=factories.unit(owner=owner), now=T0
    )
    ticket = ticket_transition(ticket=created.ticket, action="acknowledge", actor=staff["agent"], now=T0)
    ticket = ticket_transition(ticket=ticket, action="diagnose", actor=staff["agent"], now=T0)
    busy = factories.technician(make_user, username="busy")
    new_ticket({**staff, "technician": busy}, Status.DISPATCHED)
    far = factories.technician(make_user, username="far")
    Technician.objects.filter(user=far).update(region=factories.region("west"))
    unskilled = factories.technician(make_user, username="unskilled")
    Technician.objects.get(user=unskilled).skills.set([ProductCategory.objects.create(code="tv", name="TV")])
    trainee = factories.technician(make_user, certified=False, username="trainee")

    response = client_for(staff["supervisor"]).get(url(ticket, "dispatch-candidates/"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["dispatchable"] is True
    order = [row["username"] for row in body["candidates"]]
    assert order == [staff["technician"].username, "busy", "far", "unskilled"]
    best = body["candidates"][0]
    assert (best["skill_match"], best["same_region"], best["open_tickets"]) == (True, True, 0)
    assert any("Air conditioners" in reason for reason in best["reasons"])
    assert body["candidates"][1]["open_tickets"] == 1
    assert [row["username"] for row in body["excluded"]] == [trainee.username]
    assert any("knowledge" in reason for reason in body["excluded"][0]["reasons"])
    assert_error(client_for(staff["agent"]).get(url(ticket, "dispatch-candidates/")), 403)


# --- filters and searches ----------------------------------------------------------------------------


@pytest.fixture
def board(staff, make_user):
    """A small queue: tickets of several types, priorities, statuses and assignees."""
    other = factories.technician(make_user, username="other-tech")
    return {
        "new_repair": new_ticket(staff),
        "acknowledged_consultation": new_ticket(staff, Status.ACKNOWLEDGED, ticket_type="consultation"),
        "dispatched_high": new_ticket(staff, Status.DISPATCHED, priority="high"),
        "other_in_progress": new_ticket(
            {**staff, "technician": other}, Status.IN_PROGRESS, owner=factories.customer(phone="13911112222")
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "new"}, {"new_repair"}),
        ({"status": "new,in_progress"}, {"new_repair", "other_in_progress"}),
        ({"status": "open"}, {"new_repair", "acknowledged_consultation", "dispatched_high", "other_in_progress"}),
        ({"type": "consultation"}, {"acknowledged_consultation"}),
        ({"priority": "high"}, {"dispatched_high"}),
        ({"assignee": "other-tech"}, {"other_in_progress"}),
        ({"queue": "unassigned"}, {"new_repair", "acknowledged_consultation"}),
        ({"status": "new", "type": "consultation"}, set()),
        ({"status": ""}, {"new_repair", "acknowledged_consultation", "dispatched_high", "other_in_progress"}),
    ],
)
def test_filters(staff, board, query, expected):
    response = client_for(staff["supervisor"]).get(LIST_URL, query)
    assert set(numbers(response)) == {board[name].number for name in expected}


def test_queue_mine_is_the_technicians_own_queue(staff, board):
    response = client_for(staff["technician"]).get(LIST_URL, {"queue": "mine"})
    assert numbers(response) == [board["dispatched_high"].number]


def test_breached_filter(staff, board):
    # High priority: 2 h first response; the sweep at +3 h records breaches for unanswered tickets.
    late = new_ticket(staff, priority="high")
    sla_sweep(now=T0 + timedelta(hours=3))
    client = client_for(staff["supervisor"])

    breached = set(numbers(client.get(LIST_URL, {"breached": "true"})))
    not_breached = set(numbers(client.get(LIST_URL, {"breached": "false"})))

    assert late.number in breached
    assert board["dispatched_high"].number not in breached  # acknowledged in time, on site not yet due
    assert breached.isdisjoint(not_breached)
    assert breached | not_breached == set(Ticket.objects.values_list("number", flat=True))


def test_due_before_finds_tickets_with_a_running_clock_due_by_then(staff, board):
    client = client_for(staff["supervisor"])
    # Normal repairs: first response due at T0 + 24 h; the high one's on-site clock at T0 + 24 h too,
    # its resolution at T0 + 48 h; the consultation was answered (resolution due T0 + 72 h).
    before_first_due = client.get(LIST_URL, {"due_before": (T0 + timedelta(hours=23)).isoformat()})
    after_first_due = client.get(LIST_URL, {"due_before": "2026-11-24T10:00:01 08:00"})  # "+" arrived as a space

    assert numbers(before_first_due) == []
    assert set(numbers(after_first_due)) >= {board["new_repair"].number, board["dispatched_high"].number}
    assert board["acknowledged_consultation"].number not in numbers(after_first_due)


def test_due_before_ignores_paused_clocks(staff):
    ticket = new_ticket(staff, Status.DIAGNOSING)
    ticket_transition(ticket=ticket, action="wait_customer", actor=staff["agent"], now=T0)

    response = client_for(staff["supervisor"]).get(LIST_URL, {"due_before": "2030-01-01T00:00:00+08:00"})

    assert ticket.number not in numbers(response)


def test_search_by_number_serial_and_phone(staff, board):
    owner = factories.customer(phone="13722223333")
    unit = factories.unit(owner=owner, serial="KFR35-9999")
    with_unit = ticket_create(customer=owner, ticket_type="repair", description="x", unit=unit, now=T0).ticket
    agent = client_for(staff["agent"])

    assert numbers(agent.get(LIST_URL, {"search": board["new_repair"].number})) == [board["new_repair"].number]
    assert numbers(agent.get(LIST_URL, {"search": "kfr35-9999"})) == [with_unit.number]
    assert numbers(agent.get(LIST_URL, {"search": "139 1111 2222"})) == [board["other_in_progress"].number]
    assert numbers(agent.get(LIST_URL, {"search": "22223333"})) == [with_unit.number]
    # Managers see masked numbers, so a phone search would confirm guessed digits: it finds nothing.
    assert numbers(client_for(staff["manager"]).get(LIST_URL, {"search": "13911112222"})) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "sleeping"}, "status"),
        ({"type": "teleport"}, "type"),
        ({"priority": "meh"}, "priority"),
        ({"breached": "maybe"}, "breached"),
        ({"due_before": "tomorrow"}, "due_before"),
        ({"due_before": "2026-13-45T10:00:00+08:00"}, "due_before"),
        ({"queue": "everyone"}, "queue"),
        ({"search": "a\x00b"}, "search"),
        ({"assignee": "a\x00b"}, "assignee"),
        ({"search": "x" * 500}, "search"),
    ],
)
def test_bad_filter_values_are_400_with_the_field(staff, query, field):
    assert field in assert_error(client_for(staff["agent"]).get(LIST_URL, query), 400)


def test_list_query_count_does_not_grow_with_the_page(staff, make_user):
    client = client_for(staff["supervisor"])
    owner = factories.customer()
    unit = factories.unit(owner=owner)

    def make(count: int) -> None:
        for index in range(count):
            if index % 3 == 0:
                ticket = ticket_create(customer=owner, ticket_type="repair", description="x", unit=unit, now=T0).ticket
                ticket = ticket_transition(ticket=ticket, action="acknowledge", actor=staff["agent"], now=T0)
                ticket_transition(ticket=ticket, action="diagnose", actor=staff["agent"], now=T0)
            else:
                new_ticket(staff, Status.DISPATCHED if index % 3 == 1 else Status.NEW)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(LIST_URL)
        assert response.status_code == 200
        return len(captured)

    make(3)
    count_queries()  # warm: content types and the user's permissions are cached after this
    with_three = count_queries()
    make(27)
    with_thirty = count_queries()

    assert len(client.get(LIST_URL).json()["results"]) == 30
    assert with_thirty == with_three
    # A bounded COUNT, the page's ids, one SELECT with the joins, one for the page's SLA clocks.
    assert with_three <= 4


# --- racing requests --------------------------------------------------------------------------------


@pytest.fixture
def committed_setup(transactional_db):
    """A transactional test starts after others flushed the tables: restore what migrations seeded."""
    calendar_ensure_defaults()
    matrix = importlib.import_module("tickets.migrations.0002_default_sla_matrix")
    matrix.create_matrix(global_apps, None)


def _post_in_thread(user, path, body, barrier, results):
    try:
        client = APIClient()
        client.force_authenticate(user)
        barrier.wait(timeout=10)
        results.append(client.post(path, body, format="json").status_code)
    except Exception as error:  # surfaced by the test
        results.append(error)
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("status", "first", "second", "recorded"),
    [
        # The same answer twice: only one first response.
        (Status.NEW, {"action": "acknowledge"}, {"action": "acknowledge"}, ("acknowledge", "acknowledge")),
        # Resolve and wait-for-parts exclude each other: whichever commits first wins.
        (
            Status.IN_PROGRESS,
            {"action": "resolve", "resolution": "ok", "functional_test": "passed"},
            {"action": "wait_parts"},
            ("resolve", "wait_parts"),
        ),
    ],
)
def test_two_conflicting_transitions_at_once_one_wins_one_gets_409(
    committed_setup, make_user, status, first, second, recorded
):
    staff = factories.staff(make_user)
    ticket = factories.ticket_in(status, staff=staff, now=T0)
    actor = staff["supervisor"] if status == Status.NEW else staff["technician"]
    barrier = threading.Barrier(2)
    results: list = []
    threads = [
        threading.Thread(target=_post_in_thread, args=(actor, url(ticket, "transition/"), body, barrier, results))
        for body in (first, second)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == [200, 409], results
    assert TicketEvent.objects.filter(ticket=ticket, action__in=set(recorded)).count() == 1
