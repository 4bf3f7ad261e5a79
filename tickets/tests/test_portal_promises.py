"""What the portal promises is what the SLA matrix enforces; safety words are triaged at once (issue #14 item 4)."""

import re

import pytest
from django.utils import translation

from aftersales.core.portal.promises import within
from conftest import shanghai
from tickets.choices import ClockName, Priority
from tickets.models import SlaPolicy, Ticket
from tickets.portal.promises import URGENT_PRIORITY
from tickets.safety import safety_words_in
from tickets.selectors import ticket_sla_clocks

from .test_portal import REQUEST, page_text, random_address

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 23, 10)  # a Monday, in working hours


@pytest.fixture
def at(time_machine):
    time_machine.move_to(T0, tick=False)


@pytest.fixture
def client(client):
    client.defaults["REMOTE_ADDR"] = random_address()  # the per-address request limit starts afresh
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture(autouse=True)
def english():
    # The expected words are worked out outside a request: in English, as the test client asks.
    with translation.override("en"):
        yield


def repair(priority: str) -> SlaPolicy:
    return SlaPolicy.objects.select_related("calendar").get(ticket_type="repair", priority=priority, customer_tier="")


def test_within_words_an_allowed_time_for_a_customer():
    assert within(60, working_time=False) == "within 1 hour"
    assert within(120, working_time=False) == "within 2 hours"
    assert within(90, working_time=False) == "within 90 minutes"
    assert within(24 * 60, working_time=False) == "within 24 hours"
    assert within(72 * 60, working_time=False) == "within 3 days"
    assert within(8 * 60, working_time=True) == "within 8 working hours"
    assert within(45, working_time=True) == "within 45 working minutes"


def test_the_home_page_states_the_matrix_and_follows_an_edit(client, calendars):
    urgent = repair(URGENT_PRIORITY)
    urgent_words = within(urgent.first_response_minutes, working_time=not urgent.calendar.always_open)
    text = page_text(client.get("/"))
    assert urgent_words in text
    assert "1 hour for critical faults" not in text  # the old hand-written line

    # A manager shortens the urgent promise in the admin: the page says so at once.
    urgent.first_response_minutes = 45
    urgent.save()
    expected = within(45, working_time=not urgent.calendar.always_open)
    assert f"{expected} when you mark the request urgent" in page_text(client.get("/"))


def test_the_urgent_box_promises_what_its_clock_enforces(client, calendars, at):
    urgent = repair(URGENT_PRIORITY)
    promise = within(urgent.first_response_minutes, working_time=not urgent.calendar.always_open)
    form = client.get("/request/").content.decode()
    assert f"we answer {promise}" in form

    client.post("/request/", {**REQUEST, "urgent": "on"})
    ticket = Ticket.objects.get()
    assert ticket.priority == URGENT_PRIORITY and ticket.sla_policy == urgent
    (clock,) = [clock for clock in ticket_sla_clocks(ticket) if clock.name == ClockName.FIRST_RESPONSE]
    assert clock.target_seconds == urgent.first_response_minutes * 60


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("The fridge is smoking and there is a burning smell", ["smoking", "burning smell"]),
        ("Sparks came out of the plug, then SMOKE", ["sparks", "smoke"]),
        ("热水器冒烟了，有焦味", ["冒烟", "焦味"]),
        ("插座有火花，好像漏电", ["火花", "漏电"]),
        ("I can smell gas near the boiler: a gas leak?", ["gas leak"]),
        ("Sparkling water dispenser drips", []),  # whole words only
        ("空调不制冷，显示 E4", []),
    ],
)
def test_safety_words_are_found_in_both_languages(text, words):
    assert safety_words_in(text) == words


def test_a_request_naming_a_danger_is_critical_and_the_customer_gets_advice(client, calendars, at):
    form = client.get("/request/").content.decode()
    assert 'id="safety-advice" hidden' in form and "data-safety-words=" in form  # shown by the script as they type

    response = client.post("/request/", {**REQUEST, "description": "洗衣机冒烟，有焦味"})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.priority == Priority.CRITICAL  # the customer did not tick "urgent"
    flag = ticket.events.get(action="safety_flag")
    assert flag.data == {"safety_words": ["冒烟", "焦味"]} and flag.public is False

    thanks = client.get("/request/thanks/")
    assert "Your safety first" in page_text(thanks) and "unplug" in page_text(thanks)
    # The customer's timeline does not show the staff's triage note.
    link = re.search(r'id="tracking-link" class="[^"]+" href="(/track/[^"]+/)"', thanks.content.decode()).group(1)
    assert "triage" not in page_text(client.get(link))


def test_an_ordinary_request_shows_no_safety_advice(client, calendars, at):
    client.post("/request/", REQUEST)
    assert "Your safety first" not in page_text(client.get("/request/thanks/"))
    assert not Ticket.objects.get().events.filter(action="safety_flag").exists()


def test_the_public_api_triages_safety_words_too(api_client, calendars, at):
    response = api_client.post(
        "/api/v1/public/requests/",
        {"type": "repair", "name": "王五", "phone": "13900002222", "description": "The oven is sparking"},
        format="json",
    )
    assert response.status_code == 201
    ticket = Ticket.objects.get(number=response.json()["number"])
    assert ticket.priority == Priority.CRITICAL
    assert ticket.events.filter(action="safety_flag").count() == 1


def test_the_promises_read_in_chinese_too(client, calendars):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    text = page_text(client.get("/"))
    assert "我们的服务承诺" in text and "首次答复" in text and "within" not in text
    form = page_text(client.get("/request/"))
    assert "安全第一" in form  # the advice, in the page for the script to show
