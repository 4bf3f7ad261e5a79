"""The customer's API (CONTRACT.md §4, public): submit a request, follow it through the secret link,
reply, confirm, rate once, reopen within 30 days — and nothing internal leaks through the link.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from aftersales.core.models import Customer, TrackingLink
from aftersales.core.services import customer_create
from aftersales.core.trackables import trackable_find
from aftersales.core.tracking import tracking_token_hash
from conftest import shanghai
from tickets.choices import Status
from tickets.models import Survey, Ticket, TicketEvent
from tickets.services import ticket_create, ticket_staff_note, ticket_transition

from . import factories

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 23, 10)
REQUESTS_URL = "/api/v1/public/requests/"


def track_url(token: str, suffix: str = "") -> str:
    return f"/api/v1/public/track/{token}/{suffix}"


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
def at(time_machine):
    """Move the (non-ticking) clock: ``at(timedelta(days=3))`` is three days after T0."""

    def move(offset: timedelta = timedelta(0)):
        time_machine.move_to(T0 + offset, tick=False)
        return T0 + offset

    move()
    return move


@pytest.fixture
def client():
    return APIClient()


def tracked(staff, status=Status.NEW, **kwargs):
    """A ticket in ``status`` and its customer's token (created through the service, like staff do)."""
    owner = kwargs.pop("owner", None) or factories.customer()
    created = ticket_create(
        customer=owner, ticket_type="repair", description="不制冷", actor=staff["agent"], now=T0, **kwargs
    )
    ticket = created.ticket
    for action, role, data in factories.REPAIR_PATH:
        if ticket.status == status:
            break
        data = {**data, "technician": staff["technician"].username} if action == "dispatch" else data
        ticket = ticket_transition(ticket=ticket, action=action, actor=staff[role], data=data, now=T0)
    assert ticket.status == status
    return ticket, created.tracking_token


# --- POST /public/requests/ ----------------------------------------------------------------------


def test_a_customer_submits_a_request_and_gets_the_tracking_link(client, at, calendars):
    response = client.post(
        REQUESTS_URL,
        {
            "type": "repair",
            "name": "孙丽",
            "phone": "+86 139-0000-2222",
            "email": "sun@example.com",
            "description": "空调漏水",
            "priority": "high",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"number", "tracking_token", "tracking_url", "serial_registered"}
    assert body["tracking_url"].endswith(f"/track/{body['tracking_token']}/")
    assert body["serial_registered"] is None
    assert len(body["tracking_token"]) >= 22  # ≥ 128 bits
    ticket = Ticket.objects.get(number=body["number"])
    assert (ticket.ticket_type, ticket.priority, ticket.channel) == ("repair", "high", "web")
    # A mainland number typed with +86 is kept as its national digits, as every customer is found.
    assert ticket.customer.phone == "13900002222" and ticket.customer.name == "孙丽"
    # Only the token's hash is stored, in the one table of tracking links.
    link = TrackingLink.objects.get(object_id=ticket.pk, content_type__model="ticket")
    assert link.token_hash == tracking_token_hash(body["tracking_token"]) != body["tracking_token"]
    created = ticket.events.get()
    assert created.by_customer is True and created.actor is None
    assert "no-store" in response["Cache-Control"]
    # The link works at once.
    assert client.get(track_url(body["tracking_token"])).json()["number"] == ticket.number


def test_a_known_phone_finds_the_customer_without_changing_their_record(client, at):
    known = customer_create(name="王芳", phone="13700001111", email="wang@example.com")

    response = client.post(
        REQUESTS_URL,
        {"type": "consultation", "name": "Someone Else", "phone": "137 0000 1111", "description": "?"},
        format="json",
    )

    assert response.status_code == 201
    ticket = Ticket.objects.get(number=response.json()["number"])
    assert ticket.customer == known
    known.refresh_from_db()
    assert (known.name, known.email) == ("王芳", "wang@example.com")
    assert Customer.objects.count() == 1


def test_a_registered_serial_is_attached_and_an_unknown_one_is_kept_for_staff(client, at):
    unit = factories.unit()

    known = client.post(
        REQUESTS_URL,
        {"type": "repair", "serial": unit.serial.lower(), "name": "A", "phone": "13600000001", "description": "x"},
        format="json",
    )
    unknown = client.post(
        REQUESTS_URL,
        {"type": "repair", "serial": "ZZ-404", "name": "A", "phone": "13600000001", "description": "坏了"},
        format="json",
    )

    assert known.status_code == unknown.status_code == 201
    assert known.json()["serial_registered"] is True
    assert Ticket.objects.get(number=known.json()["number"]).unit == unit
    assert unknown.json()["serial_registered"] is False
    orphan = Ticket.objects.get(number=unknown.json()["number"])
    assert orphan.unit is None
    assert orphan.description.startswith("坏了") and "ZZ-404" in orphan.description


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"priority": "critical"}, "priority"),  # staff raise to critical after triage
        ({"priority": "low"}, "priority"),
        ({"type": "maintenance"}, "type"),  # scheduled by the service, not requested
        ({"type": None}, "type"),
        ({"phone": "call me"}, "phone"),
        ({"phone": ""}, "phone"),
        ({"name": ""}, "name"),
        ({"description": ""}, "description"),
        ({"description": "x" * 5001}, "description"),
        ({"email": "not-an-email"}, "email"),
        ({"serial": "x" * 65}, "serial"),
        ({"name": "a\u0000b"}, "name"),
    ],
)
def test_invalid_requests_are_400_with_the_field(client, change, field):
    payload = {"type": "repair", "name": "A", "phone": "13600000001", "description": "x", **change}

    assert field in assert_error(client.post(REQUESTS_URL, payload, format="json"), 400)
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        pytest.param("{not json", "application/json", id="broken-json"),
        pytest.param("", "application/json", id="empty"),
        pytest.param("null", "application/json", id="null"),
        pytest.param("[1]", "application/json", id="list"),
        pytest.param("[" * 50_000, "application/json", id="nested-too-deep"),
        pytest.param(b"\xff\xfe", "application/json", id="not-utf8"),
        pytest.param(json.dumps({"type": {"a": 1}, "name": ["x"], "phone": 1e400}), "application/json", id="types"),
        pytest.param("<xml/>", "application/xml", id="xml"),
    ],
)
def test_malformed_request_bodies_get_a_4xx_never_a_5xx(client, raw, content_type):
    response = client.generic("POST", REQUESTS_URL, raw, content_type=content_type)

    assert 400 <= response.status_code < 500, response.content
    assert_error(response, response.status_code)


def test_a_stale_staff_token_does_not_break_the_public_form(client):
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.post(
        REQUESTS_URL, {"type": "repair", "name": "A", "phone": "13600000001", "description": "x"}, format="json"
    )
    assert response.status_code == 201


# --- GET /public/track/<token>/ ------------------------------------------------------------------


def test_tracking_shows_status_timeline_and_promises(client, staff, at):
    ticket, token = tracked(staff, Status.DISPATCHED, priority="high")

    response = client.get(track_url(token))

    assert response.status_code == 200, response.content
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["kind"] == "ticket" and body["number"] == ticket.number
    assert body["status"] == "dispatched" and body["status_label"]
    assert body["created_at"] == "2026-11-23T10:00:00+08:00"
    assert [entry["action"] for entry in body["timeline"]] == [
        "create",
        "acknowledge",
        "diagnose",
        "dispatch",
    ]
    assert all(entry["at"].endswith("+08:00") and entry["label"] for entry in body["timeline"])
    assert [entry["by"] for entry in body["timeline"]] == ["service", "service", "technician", "supervisor"]
    promises = {row["name"]: row for row in body["sla"]}
    assert set(promises) == {"first_response", "on_site", "resolution"}
    assert promises["first_response"]["state"] == "met"
    assert promises["on_site"] == {
        "name": "on_site",
        "label": promises["on_site"]["label"],
        "due_at": "2026-11-24T10:00:00+08:00",
        "met_at": None,
        "state": "running",
    }
    assert body["actions"] == ["message", "attach"]
    assert body["quote"] is None and body["resolution"] == ""


def test_tracking_never_shows_internal_notes_transition_notes_or_staff_names(client, staff, at):
    ticket, token = tracked(staff, Status.ACKNOWLEDGED)
    ticket_staff_note(ticket=ticket, body="客户很难缠 INTERNAL", actor=staff["agent"], public=False, now=T0)
    ticket_staff_note(ticket=ticket, body="我们明天联系您", actor=staff["agent"], public=True, now=T0)
    ticket_transition(
        ticket=ticket,
        action="diagnose",
        actor=staff["technician"],
        data={"note": "SECRET diagnosis remark", "diagnosis": "INTERNAL relay"},
        now=T0,
    )
    ticket_transition(
        ticket=ticket,
        action="dispatch",
        actor=staff["supervisor"],
        data={"technician": staff["technician"].username, "note": "SECRET dispatch remark"},
        now=T0,
    )
    client.post(track_url(token, "messages/"), {"body": "请上午来"}, format="json")

    raw = client.get(track_url(token)).content.decode()
    body = json.loads(raw)

    for secret in ("INTERNAL", "SECRET", *(user.username for user in staff.values())):
        assert secret not in raw
    notes = [entry["note"] for entry in body["timeline"] if entry["note"]]
    assert notes == ["我们明天联系您", "请上午来"]
    assert body["timeline"][-1]["by"] == "customer"


@pytest.mark.parametrize(
    "token",
    [
        "A" * 32,  # well-formed, never issued
        "short",
        "has spaces in it but is long enough",
        "%00" * 20,
        "ü" * 32,
        "x" * 500,
        "..",
    ],
)
def test_unknown_and_malformed_tokens_get_the_same_404(client, staff, token):
    tracked(staff)
    never_issued = client.get(track_url("A" * 32))

    responses = [client.get(track_url(token)), client.post(track_url(token, "confirm/"), {}, format="json")]

    assert_error(never_issued, 404)
    for response in responses:
        assert response.status_code == 404, response.content
        assert response.json() == never_issued.json()


def test_one_tickets_token_never_opens_another(client, staff):
    first, first_token = tracked(staff)
    second, second_token = tracked(staff, owner=factories.customer(phone="13911110000"))

    assert client.get(track_url(first_token)).json()["number"] == first.number
    assert client.get(track_url(second_token)).json()["number"] == second.number
    assert trackable_find(first_token).subject == first
    assert trackable_find(first_token[:-1] + ("A" if first_token[-1] != "A" else "B")) is None


# --- customer actions ------------------------------------------------------------------------------


def test_a_customer_message_lands_on_the_timeline(client, staff, at):
    ticket, token = tracked(staff)

    response = client.post(track_url(token, "messages/"), {"body": "  电话打不通，请发短信  "}, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["timeline"][-1]["note"] == "电话打不通，请发短信"
    event = ticket.events.get(action="customer_message")
    assert event.by_customer and event.public
    for bad in ({}, {"body": ""}, {"body": "x" * 5001}, {"body": ["x"]}, {"body": "a\u0000"}):
        assert "body" in assert_error(client.post(track_url(token, "messages/"), bad, format="json"), 400)


def test_confirm_only_after_resolution(client, staff, at):
    _, open_token = tracked(staff, Status.IN_PROGRESS)
    resolved, resolved_token = tracked(staff, Status.RESOLVED)

    assert tracked_actions(client, resolved_token) == ["message", "confirm", "rate", "reopen", "attach"]
    assert assert_error(client.post(track_url(open_token, "confirm/"), {}, format="json"), 409)["code"] == "conflict"
    response = client.post(track_url(resolved_token, "confirm/"), format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    assert response.json()["resolution"] == "relay replaced"
    assert "confirm" not in response.json()["actions"]
    assert assert_error(client.post(track_url(resolved_token, "confirm/"), {}, format="json"), 409)
    assert resolved.events.filter(action="confirm", by_customer=True).count() == 1


def tracked_actions(client, token: str) -> list[str]:
    return client.get(track_url(token)).json()["actions"]


def test_rating_once_per_resolution(client, staff, at):
    ticket, token = tracked(staff, Status.RESOLVED)

    first = client.post(track_url(token, "rate/"), {"score": 5, "comment": "很专业"}, format="json")
    second = client.post(track_url(token, "rate/"), {"score": 1}, format="json")

    assert first.status_code == 200, first.content
    assert first.json()["rating"] == 5 and "rate" not in first.json()["actions"]
    assert assert_error(second, 409)["code"] == "conflict"
    survey = Survey.objects.get(ticket=ticket)
    assert (survey.score, survey.comment) == (5, "很专业")


@pytest.mark.parametrize("score", [0, 6, "five", True, None, 4.5, [5]])
def test_a_score_is_a_whole_number_from_1_to_5(client, staff, score):
    _, token = tracked(staff, Status.RESOLVED)
    assert "score" in assert_error(client.post(track_url(token, "rate/"), {"score": score}, format="json"), 400)


def test_rating_before_resolution_is_409(client, staff):
    _, token = tracked(staff, Status.IN_PROGRESS)
    assert_error(client.post(track_url(token, "rate/"), {"score": 4}, format="json"), 409)


def test_a_reopened_and_resolved_again_ticket_can_be_rated_again(client, staff, at):
    ticket, token = tracked(staff, Status.RESOLVED)
    client.post(track_url(token, "rate/"), {"score": 2}, format="json")
    assert client.post(track_url(token, "reopen/"), {"reason": "又漏水"}, format="json").status_code == 200
    ticket.refresh_from_db()
    ticket = ticket_transition(ticket=ticket, action="diagnose", actor=staff["technician"], now=T0)
    ticket = ticket_transition(
        ticket=ticket, action="dispatch", actor=staff["supervisor"], data={"technician": staff["technician"].username}
    )
    ticket = ticket_transition(ticket=ticket, action="start_work", actor=staff["technician"])
    ticket_transition(
        ticket=ticket,
        action="resolve",
        actor=staff["technician"],
        data={"resolution": "更换密封圈", "functional_test": "passed"},
    )

    assert client.post(track_url(token, "rate/"), {"score": 4}, format="json").status_code == 200
    assert list(Survey.objects.filter(ticket=ticket).values_list("cycle", "score")) == [(1, 2), (2, 4)]


def test_reopen_within_30_days(client, staff, at):
    ticket, token = tracked(staff, Status.RESOLVED)
    at(timedelta(days=29))

    assert client.get(track_url(token)).json()["reopen_until"] == "2026-12-23T10:00:00+08:00"
    response = client.post(track_url(token, "reopen/"), {"reason": "还是不制冷"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "acknowledged"
    event = ticket.events.get(action="reopen")
    assert event.by_customer and event.note == "还是不制冷"
    assert response.json()["timeline"][-1]["note"] == "还是不制冷"


def test_reopen_after_31_days_is_409(client, staff, at):
    ticket, token = tracked(staff, Status.RESOLVED)
    at(timedelta(days=31))

    assert "reopen" not in tracked_actions(client, token)
    body = assert_error(client.post(track_url(token, "reopen/"), {"reason": "又坏了"}, format="json"), 409)

    assert body["code"] == "conflict"
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_reopen_needs_a_reason_and_a_resolution(client, staff, at):
    _, resolved_token = tracked(staff, Status.RESOLVED)
    _, open_token = tracked(staff, Status.DIAGNOSING)

    assert "reason" in assert_error(client.post(track_url(resolved_token, "reopen/"), {}, format="json"), 400)
    assert "reason" in assert_error(
        client.post(track_url(resolved_token, "reopen/"), {"reason": "   "}, format="json"), 400
    )
    assert_error(client.post(track_url(open_token, "reopen/"), {"reason": "x"}, format="json"), 409)


def test_the_customer_answers_a_quote(client, staff, at):
    owner = factories.customer()
    unit = factories.unit(owner=owner)
    created = ticket_create(customer=owner, ticket_type="repair", description="漏水", unit=unit, now=T0)
    ticket = ticket_transition(ticket=created.ticket, action="acknowledge", actor=staff["agent"], now=T0)
    ticket = ticket_transition(
        ticket=ticket, action="diagnose", actor=staff["technician"], data={"fault_cause": "liquid"}, now=T0
    )
    ticket = ticket_transition(
        ticket=ticket,
        action="request_quote",
        actor=staff["agent"],
        data={"parts": [{"part_number": "PCB-1", "description": "主板", "quantity": 1, "unit_price": "180"}]},
        now=T0,
    )
    token = created.tracking_token

    body = client.get(track_url(token)).json()
    assert body["status"] == "awaiting_quote"
    assert body["actions"] == ["message", "approve_quote", "decline_quote", "attach"]
    assert body["quote"]["parts_amount"] == "180.00"
    assert body["quote"]["lines"] == [
        {"part_number": "PCB-1", "description": "主板", "quantity": 1, "unit_price": "180.00"}
    ]
    # While the customer decides, the promises are paused: no due time to show.
    assert all(row["due_at"] is None for row in body["sla"] if row["state"] == "paused")

    response = client.post(track_url(token, "approve-quote/"), {"note": "同意维修"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "diagnosing" and response.json()["quote"] is None
    assert_error(client.post(track_url(token, "decline-quote/"), {}, format="json"), 409)
    ticket.refresh_from_db()
    assert ticket.quote.status == "accepted"


def test_malformed_action_bodies_never_5xx(client, staff):
    _, token = tracked(staff, Status.RESOLVED)
    for suffix in ("messages/", "confirm/", "rate/", "reopen/", "approve-quote/"):
        for raw in ("{bad", "[" * 50_000, "null", "[]", '"x"'):
            response = client.generic("POST", track_url(token, suffix), raw, content_type="application/json")
            assert 400 <= response.status_code < 500, (suffix, raw[:10], response.content)


# --- rate limit ----------------------------------------------------------------------------------------


@pytest.fixture
def strict_rate(settings):
    """Two public requests a minute, from an address no other test uses (the cache is shared Redis)."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "public": "2/minute"},
    }
    address = f"198.51.100.{secrets.randbelow(250) + 1}"
    key = f"throttle_public_{address}"
    cache.delete(key)
    yield address
    cache.delete(key)


def test_the_public_endpoints_are_rate_limited_with_a_json_429(strict_rate, staff):
    _, token = tracked(staff)
    client = APIClient(REMOTE_ADDR=strict_rate)

    answers = [client.get(track_url(token)).status_code, client.get(track_url("A" * 32)).status_code]
    limited = client.post(REQUESTS_URL, {"type": "repair"}, format="json")

    assert answers == [200, 404]  # unknown tokens count too: guessing is throttled
    body = assert_error(limited, 429)
    assert body["code"] == "throttled"
    assert int(limited["Retry-After"]) > 0
    assert APIClient(REMOTE_ADDR="203.0.113.9").get(track_url(token)).status_code == 200
    cache.delete("throttle_public_203.0.113.9")


def test_created_events_and_timeline_count(client, staff, at):
    """Sanity: every customer action writes exactly one event."""
    ticket, token = tracked(staff, Status.RESOLVED)
    client.post(track_url(token, "messages/"), {"body": "谢谢"}, format="json")
    client.post(track_url(token, "confirm/"), {}, format="json")
    client.post(track_url(token, "rate/"), {"score": 5}, format="json")

    assert list(TicketEvent.objects.filter(ticket=ticket, by_customer=True).values_list("action", flat=True)) == [
        "customer_message",
        "confirm",
        "rate",
    ]
