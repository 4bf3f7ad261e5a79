"""The customer's pages through Django's test client: /request/ and /track/<token>/."""

import re
import uuid
from datetime import timedelta

import pytest
from django.test import override_settings

from aftersales.core.models import Customer
from conftest import shanghai
from tickets.choices import Status
from tickets.intake import UNREGISTERED_SERIAL
from tickets.models import Survey, Ticket, TicketEvent
from tickets.portal.views import DEFAULT_REQUEST_RATE, REQUEST_RATE_SCOPE
from tickets.services import ticket_create, ticket_staff_note, ticket_transition

from . import factories

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 23, 10)


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


@pytest.fixture
def at(time_machine):
    def move(moment):
        time_machine.move_to(moment, tick=False)

    move(T0)
    return move


def random_address() -> str:
    return "10." + ".".join(str(uuid.uuid4().int % 250) for _ in range(3))


@pytest.fixture
def client(client):
    # Each test its own client address, so the per-address request limit never carries over
    # between tests or runs (it lives in the shared Redis cache, and time is frozen in these tests).
    client.defaults["REMOTE_ADDR"] = random_address()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the texts below are the English originals
    return client


def tracked(staff, status=Status.NEW, **kwargs):
    """A ticket in ``status`` and its tracking URL (the token exists only at creation)."""
    owner = kwargs.pop("owner", None) or factories.customer()
    created = ticket_create(
        customer=owner,
        ticket_type=kwargs.pop("ticket_type", "repair"),
        priority=kwargs.pop("priority", "normal"),
        description="不制冷",
        actor=staff["agent"],
        now=T0,
        unit=kwargs.pop("unit", None),
    )
    ticket = created.ticket
    for action, role, data in factories.REPAIR_PATH:
        if ticket.status == status:
            break
        data = {**data, "technician": staff["technician"].username} if action == "dispatch" else data
        ticket = ticket_transition(ticket=ticket, action=action, actor=staff[role], data=data, now=T0)
    assert ticket.status == status
    return ticket, f"/track/{created.tracking_token}/"


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def post(client, url, form, **fields):
    return client.post(url, {"form": form, **{f"{form}-{name}": value for name, value in fields.items()}})


# --- the tracking page ----------------------------------------------------------------------


def test_the_tracking_page_shows_status_progress_public_timeline_and_promises(client, staff, at):
    ticket, url = tracked(staff, Status.DISPATCHED, priority="high")
    ticket_staff_note(ticket=ticket, body="客户家的狗会咬人", actor=staff["agent"], public=False, now=T0)
    ticket_staff_note(
        ticket=ticket, body="Our technician will call you first.", actor=staff["agent"], public=True, now=T0
    )

    response = client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    text = page_text(response)
    assert ticket.number in text
    assert 'data-status="dispatched"' in content
    steps = re.findall(r'<li class="step step-(\w+)"', content)
    assert steps == ["done", "done", "done", "current", "todo", "todo", "todo", "todo"]
    assert 'aria-current="step"' in content
    # Public timeline: what happened, no internal notes, no staff names.
    assert "Request received" in text and "Dispatch" in text
    assert "Our technician will call you first." in text
    assert "客户家的狗会咬人" not in text
    for user in staff.values():
        assert user.username not in content
    # Expected times of the open promises (on site and resolution; the first response was met).
    assert "Expected by" in text and "Resolution" in text
    # A private page: not cached, not indexed, no referrer to other sites.
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"
    assert "csrfmiddlewaretoken" in content


def test_waiting_for_the_customer_says_the_clock_is_paused(client, staff, at):
    ticket, url = tracked(staff, Status.DIAGNOSING)
    ticket_transition(ticket=ticket, action="wait_customer", actor=staff["agent"], now=T0)
    text = page_text(client.get(url))
    assert "Paused while we wait for you" in text
    # The progress stays at the step it waits in.
    assert re.findall(r"step-(current)", client.get(url).content.decode()) == ["current"]


def test_unknown_and_malformed_tokens_get_the_not_found_page(client, staff, at):
    tracked(staff)
    for token in ("A" * 32, "not-a-token", "x" * 300):
        response = client.get(f"/track/{token}/")
        assert response.status_code == 404
        assert "We could not find this link" in page_text(response)
    assert client.post(f"/track/{'A' * 32}/", {"form": "message", "message-body": "hi"}).status_code == 404


def test_a_message_from_the_customer(client, staff, at):
    ticket, url = tracked(staff, Status.ACKNOWLEDGED)

    response = post(client, url, "message", body="周末在家，可以上门")
    assert response.status_code == 302 and response["Location"] == url
    event = TicketEvent.objects.get(ticket=ticket, action="customer_message")
    assert event.by_customer and event.note == "周末在家，可以上门"
    page = client.get(url)
    assert "your message was sent" in page_text(page)  # the message after the redirect
    assert "周末在家，可以上门" in page_text(page)

    empty = post(client, url, "message", body="   ")
    assert empty.status_code == 400
    assert "This field is required." in page_text(empty)
    assert TicketEvent.objects.filter(ticket=ticket, action="customer_message").count() == 1


def test_confirming_the_fix(client, staff, at):
    ticket, url = tracked(staff, Status.IN_PROGRESS)
    assert 'value="confirm"' not in client.get(url).content.decode()
    assert post(client, url, "confirm").status_code == 409  # not resolved yet

    ticket_transition(
        ticket=ticket,
        action="resolve",
        actor=staff["technician"],
        data={"resolution": "更换压缩机继电器", "functional_test": "passed"},
        now=T0,
    )
    page = client.get(url)
    assert 'value="confirm"' in page.content.decode()
    assert "更换压缩机继电器" in page_text(page)  # what we did
    assert post(client, url, "confirm").status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.CONFIRMED
    assert ticket.events.get(action="confirm").by_customer is True


def test_rating_once_per_resolution(client, staff, at):
    ticket, url = tracked(staff, Status.RESOLVED)

    invalid = post(client, url, "rate", score="9")
    assert invalid.status_code == 400 and "Select a valid choice" in page_text(invalid)
    assert post(client, url, "rate", score="4", comment="师傅很专业").status_code == 302
    survey = Survey.objects.get(ticket=ticket)
    assert (survey.score, survey.comment) == (4, "师傅很专业")

    page = client.get(url)
    assert 'value="rate"' not in page.content.decode()
    assert "You rated our service 4 out of 5" in page_text(page)
    again = post(client, url, "rate", score="1")
    assert again.status_code == 409 and "not possible any more" in page_text(again)
    assert Survey.objects.get(ticket=ticket).score == 4


def test_reopening_within_30_days_with_a_reason(client, staff, at):
    ticket, url = tracked(staff, Status.RESOLVED)
    at(T0 + timedelta(days=29))

    page = client.get(url)
    assert 'value="reopen"' in page.content.decode() and "You can reopen this request until" in page_text(page)
    assert post(client, url, "reopen", reason="").status_code == 400
    assert post(client, url, "reopen", reason="又不制冷了").status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopened_count) == (Status.ACKNOWLEDGED, 1)
    assert ticket.events.get(action="reopen").by_customer


def test_no_reopening_after_30_days(client, staff, at):
    ticket, url = tracked(staff, Status.RESOLVED)
    at(T0 + timedelta(days=31))
    assert 'value="reopen"' not in client.get(url).content.decode()
    response = post(client, url, "reopen", reason="too late?")
    assert response.status_code == 409
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED


def quoted(staff):
    owner = factories.customer()
    unit = factories.unit(owner=owner, purchase_date=T0.date() - timedelta(days=800))  # out of warranty
    ticket, url = tracked(staff, Status.ACKNOWLEDGED, owner=owner, unit=unit)
    ticket = ticket_transition(ticket=ticket, action="diagnose", actor=staff["technician"], data={}, now=T0)
    ticket = ticket_transition(
        ticket=ticket,
        action="request_quote",
        actor=staff["technician"],
        data={
            "labour_hours": "1",
            "parts": [{"part_number": "RELAY-12", "description": "继电器", "quantity": 1, "unit_price": "35"}],
        },
        now=T0,
    )
    return ticket, url


def test_accepting_a_quote(client, staff, at):
    ticket, url = quoted(staff)
    page = client.get(url)
    text = page_text(page)
    assert "Your quote" in text and "继电器" in text and str(ticket.quote.total) in text
    assert "Paused while we wait for your answer to the quote" in text

    response = client.post(url, {"form": "quote", "quote-answer": "approve_quote", "quote-note": "请尽快"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.DIAGNOSING and ticket.quote.status == "accepted"
    assert "Your quote" not in page_text(client.get(url))


def test_declining_a_quote(client, staff, at):
    ticket, url = quoted(staff)
    assert client.post(url, {"form": "quote", "quote-answer": "decline_quote"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.CANCELLED
    page = client.get(url)
    assert "This request was cancelled" in page_text(page)
    assert 'class="progress"' not in page.content.decode()


def test_a_quote_answer_must_be_accept_or_decline(client, staff, at):
    ticket, url = quoted(staff)
    assert client.post(url, {"form": "quote", "quote-answer": "cancel"}).status_code == 409
    assert Ticket.objects.get(pk=ticket.pk).status == Status.AWAITING_QUOTE


def test_an_unknown_form_is_answered_with_a_message(client, staff, at):
    _ticket, url = tracked(staff)
    response = client.post(url, {"form": "teleport"})
    assert response.status_code == 302
    assert "Something went wrong" in page_text(client.get(url))


def test_a_consultation_has_the_short_progress(client, staff, at):
    _ticket, url = tracked(staff, ticket_type="consultation")
    labels = re.findall(r'<li class="step step-\w+"[^>]*><span>([^<]+)</span>', client.get(url).content.decode())
    assert labels == ["Received", "Acknowledged", "Answered", "Confirmed", "Closed"]


# --- the request form -----------------------------------------------------------------------

REQUEST = {
    "ticket_type": "repair",
    "serial": "",
    "name": "周芷若",
    "phone": "139 0000-1111",
    "email": "zhou@example.com",
    "description": "空调不制冷，显示 E4",
}


def test_a_request_creates_a_ticket_and_shows_the_link_once(client, staff, at):
    form = client.get("/request/")
    assert form.status_code == 200 and 'name="description"' in form.content.decode()

    response = client.post("/request/", REQUEST)
    assert response.status_code == 302 and response["Location"] == "/request/thanks/"
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.priority, ticket.ticket_type) == ("web", "normal", "repair")
    assert (ticket.customer.name, ticket.customer.phone) == ("周芷若", "13900001111")
    assert ticket.events.get().by_customer is True

    thanks = client.get("/request/thanks/")
    link = re.search(r'id="tracking-link" class="[^"]+" href="(/track/[^"]+/)"', thanks.content.decode()).group(1)
    assert ticket.number in page_text(thanks)
    assert "http://testserver" + link in thanks.content.decode()  # the full link to copy
    assert client.get(link).status_code == 200
    assert ticket.number in page_text(client.get(link))
    # Shown once: a reload goes back to the form.
    assert client.get("/request/thanks/")["Location"] == "/request/"


def test_a_known_phone_adds_the_request_to_that_customer_without_changing_them(client, staff, at):
    known = factories.customer(name="赵敏", phone="13900001111")
    client.post("/request/", {**REQUEST, "name": "someone else", "email": "other@example.com", "urgent": "on"})
    ticket = Ticket.objects.get()
    assert ticket.customer == known and ticket.priority == "high"
    known.refresh_from_db()
    assert (known.name, known.email) == ("赵敏", "zhao@example.com")
    assert Customer.objects.count() == 1


def test_serial_numbers_registered_or_not(client, staff, at):
    unit = factories.unit(serial="KFR35-0001")
    client.post("/request/", {**REQUEST, "serial": "kfr35-0001"})
    assert Ticket.objects.get().unit == unit

    client.post("/request/", {**REQUEST, "serial": "NO-SUCH-1"})
    ticket = Ticket.objects.exclude(unit=unit).get()
    assert ticket.unit is None and f"[{UNREGISTERED_SERIAL}: NO-SUCH-1]" in ticket.description
    assert "NO-SUCH-1" in page_text(client.get("/request/thanks/"))


def test_request_form_errors_are_shown_in_the_page(client, staff, at):
    response = client.post("/request/", {**REQUEST, "phone": "12", "description": "", "ticket_type": "maintenance"})
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"phone", "description", "ticket_type"}
    assert "Enter a valid mobile number" in page_text(response)
    assert not Ticket.objects.exists()


def test_the_request_form_is_rate_limited_per_address(client, staff, at):
    with override_settings(PORTAL_REQUEST_RATE_LIMIT="2/hour"):
        assert client.post("/request/", REQUEST).status_code == 302
        assert client.post("/request/", {**REQUEST, "phone": ""}).status_code == 400  # attempts count too
        limited = client.post("/request/", REQUEST)
        assert limited.status_code == 429
        assert "many requests from your network" in page_text(limited)
        assert Ticket.objects.count() == 1

        client.defaults["REMOTE_ADDR"] = random_address()  # another address is not affected
        assert client.post("/request/", REQUEST).status_code == 302
    assert DEFAULT_REQUEST_RATE == "10/hour" and REQUEST_RATE_SCOPE


def test_the_portal_home_links_to_the_request_form(client):
    content = client.get("/").content.decode()
    assert content.count('href="/request/"') == 2
    assert re.search(r'id="track".*?private', content, re.S)
