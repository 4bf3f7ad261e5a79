"""The tickets staff admin through Django's test client: queues, the SLA badge, action forms that
call the services, bulk dispatch, the add form, follow-ups, and a query count that does not grow
with the rows on a page.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.core.models import Customer
from aftersales.core.selectors import clocks_for
from aftersales.core.sla.sweep import sla_sweep
from conftest import shanghai
from tickets.choices import FollowUpKind, Status
from tickets.models import FollowUp, SlaPolicy, StandbyUnit, Survey, Technician, Ticket, TicketEvent
from tickets.services import survey_answer, ticket_create, ticket_transition

from . import factories

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 23, 10)  # a Monday
CHANGELIST = "/admin/tickets/ticket/"
STAFF_ROLES = ["agent", "technician", "supervisor", "manager", "coordinator"]


@pytest.fixture(autouse=True)
def english(settings):
    """The admin defaults to Chinese; these tests read its English texts."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


@pytest.fixture
def at(time_machine):
    """``at(moment)``: the admin's clock (aftersales.core.clock) reads this moment."""

    def move(moment):
        time_machine.move_to(moment, tick=False)

    move(T0)
    return move


def change_url(ticket) -> str:
    return f"{CHANGELIST}{ticket.pk}/change/"


def action_url(ticket, action: str) -> str:
    return f"{CHANGELIST}{ticket.pk}/action/{action}/"


def logged_in(client, user):
    client.force_login(user)
    return client


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def rows(response) -> list[str]:
    """The ticket numbers listed on a changelist page, in order."""
    return re.findall(r'<th class="field-number"><a href="[^"]+">(T\d+)</a>', response.content.decode())


def new_ticket(staff, *, priority="normal", ticket_type="repair", owner=None, now=T0):
    return ticket_create(
        customer=owner or factories.customer(),
        ticket_type=ticket_type,
        priority=priority,
        description="不制冷",
        actor=staff["agent"],
        now=now,
    ).ticket


# --- pages per role ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_staff_role_sees_the_ticket_list_and_a_ticket_it_may_see(client, staff, at, role):
    ticket = factories.ticket_in(Status.DISPATCHED, staff=staff, now=T0)  # assigned to staff["technician"]
    logged_in(client, staff[role])

    listing = client.get(CHANGELIST)
    assert listing.status_code == 200
    assert ticket.number in rows(listing)
    page = client.get(change_url(ticket))
    assert page.status_code == 200
    content = page.content.decode()
    assert ticket.number in content
    assert "timeline" in content.lower()


def test_people_without_a_staff_role_are_sent_to_the_login_page(client, staff, at):
    ticket = new_ticket(staff)
    logged_in(client, staff["nobody"])
    for url in (CHANGELIST, change_url(ticket), action_url(ticket, "acknowledge"), f"{CHANGELIST}add/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_technician_sees_only_the_tickets_assigned_to_them(client, staff, make_user, at):
    mine = factories.ticket_in(Status.DISPATCHED, staff=staff, now=T0)
    other = new_ticket(staff)
    logged_in(client, staff["technician"])

    assert rows(client.get(CHANGELIST)) == [mine.number]
    response = client.get(change_url(other))
    assert response.status_code == 302  # "doesn't exist": the admin's answer for an object out of reach


@pytest.mark.parametrize(
    ("url", "roles"),
    [
        ("/admin/tickets/slapolicy/", ["agent", "technician", "supervisor", "manager"]),
        ("/admin/tickets/technician/", ["agent", "technician", "supervisor", "manager"]),
        ("/admin/tickets/standbyunit/", STAFF_ROLES),
        ("/admin/tickets/standbyloan/", STAFF_ROLES),
        ("/admin/tickets/survey/", ["agent", "technician", "supervisor", "manager"]),
        ("/admin/tickets/followup/", ["agent", "technician", "supervisor", "manager"]),
    ],
)
def test_the_other_ticket_admins_render_for_the_roles_that_may_see_them(client, staff, at, url, roles):
    follow_up_ticket = factories.ticket_in(Status.RESOLVED, staff=staff, now=T0)
    survey_answer(ticket=follow_up_ticket, score=1, now=T0)  # a low score opens a follow-up
    StandbyUnit.objects.create(serial="SB-1", product_model=factories.air_conditioner(), region=factories.region())
    for role in roles:
        logged_in(client, staff[role])
        response = client.get(url)
        assert response.status_code == 200, role
        if "/followup/" in url:
            assert "Low satisfaction score" in response.content.decode() or FollowUp.objects.exists()
    logged_in(client, staff["coordinator"])
    if "coordinator" not in roles:
        assert client.get(url).status_code == 403


def test_the_sla_matrix_lists_the_default_cells_with_readable_times(client, make_user, at):
    client.force_login(make_user(None, superuser=True))
    response = client.get("/admin/tickets/slapolicy/?ticket_type__exact=repair&priority__exact=critical")
    content = response.content.decode()
    assert response.status_code == 200
    assert SlaPolicy.objects.filter(ticket_type="repair", priority="critical").count() == 1
    assert "1 h" in content and "4 h" in content and "1 d" in content


def test_technician_list_shows_certification_and_load(client, staff, make_user, at):
    factories.technician(make_user, certified=False, username="trainee")
    factories.ticket_in(Status.DISPATCHED, staff=staff, now=T0)
    logged_in(client, staff["supervisor"])
    content = client.get("/admin/tickets/technician/").content.decode()
    assert "trainee" in content
    assert 'alt="False"' in content and 'alt="True"' in content  # the certified column
    assert 'class="field-open_tickets">1<' in content


# --- queues and the SLA badge -----------------------------------------------------------------


def test_queue_filters(client, staff, at):
    assigned = factories.ticket_in(Status.DISPATCHED, staff=staff, now=T0)
    unassigned = new_ticket(staff, now=T0 - timedelta(hours=30))  # normal: first response 24 h → late
    due_soon = new_ticket(staff, priority="critical")  # first response in 1 h
    closed = factories.ticket_in(Status.RESOLVED, staff=staff, now=T0)
    at(T0 + timedelta(minutes=10))

    logged_in(client, staff["technician"])
    assert rows(client.get(CHANGELIST + "?queue=mine")) == [assigned.number]
    logged_in(client, staff["supervisor"])
    assert rows(client.get(CHANGELIST + "?queue=mine")) == []
    assert set(rows(client.get(CHANGELIST + "?queue=unassigned"))) == {unassigned.number, due_soon.number}
    assert rows(client.get(CHANGELIST + "?queue=due_soon")) == [due_soon.number]
    # Overdue before any sweep noticed it; and escalated ones once the sweep ran.
    assert rows(client.get(CHANGELIST + "?queue=breached")) == [unassigned.number]
    sla_sweep(now=T0 + timedelta(hours=2))
    at(T0 + timedelta(hours=2))
    assert set(rows(client.get(CHANGELIST + "?queue=breached"))) == {unassigned.number, due_soon.number}
    # The queues are open work; the plain list still has everything.
    assert closed.number not in rows(client.get(CHANGELIST + "?queue=unassigned"))
    listing = client.get(CHANGELIST)
    assert len(rows(listing)) == 4
    assert 'href="?queue=due_soon"' in listing.content.decode()


def test_status_type_priority_channel_and_date_filters(client, staff, at):
    critical = new_ticket(staff, priority="critical")
    consultation = new_ticket(staff, ticket_type="consultation", now=T0 - timedelta(days=40))
    logged_in(client, staff["agent"])
    assert rows(client.get(CHANGELIST + "?priority__exact=critical")) == [critical.number]
    assert rows(client.get(CHANGELIST + "?ticket_type__exact=consultation")) == [consultation.number]
    assert set(rows(client.get(CHANGELIST + "?status__exact=new"))) == {critical.number, consultation.number}
    assert len(rows(client.get(CHANGELIST + "?channel__exact=phone"))) == 2
    assert rows(client.get(CHANGELIST + "?created_at__month=10&created_at__year=2026")) == [consultation.number]


def badge(response, ticket) -> str:
    content = response.content.decode()
    row = re.search(rf">{ticket.number}</a>.*?</tr>", content, re.S).group(0)
    match = re.search(r'<span class="sla-badge sla-(\w+)" title="[^"]*">([^<]+)</span>', row)
    return f"{match.group(1)}: {match.group(2)}" if match else ""


def test_the_sla_badge_shows_the_most_urgent_open_clock(client, staff, at):
    ticket = new_ticket(staff, priority="high")  # 7×24: first response 2 h, on site 24 h, resolution 48 h
    logged_in(client, staff["agent"])

    at(T0 + timedelta(minutes=45))
    assert badge(client.get(CHANGELIST), ticket) == "ok: First response: 1 h 15 m left"
    at(T0 + timedelta(minutes=100))  # 83 % of the 2 h used: amber from 75 %
    assert badge(client.get(CHANGELIST), ticket) == "warning: First response: 20 m left"
    at(T0 + timedelta(hours=3))
    assert badge(client.get(CHANGELIST), ticket) == "breached: First response: 1 h 0 m overdue"

    ticket = ticket_transition(ticket=ticket, action="acknowledge", actor=staff["agent"], now=T0 + timedelta(hours=3))
    at(T0 + timedelta(hours=4))
    assert badge(client.get(CHANGELIST), ticket) == "ok: On site / restore: 20 h 0 m left"
    ticket = ticket_transition(ticket=ticket, action="wait_customer", actor=staff["agent"], now=T0 + timedelta(hours=4))
    at(T0 + timedelta(hours=10))
    assert badge(client.get(CHANGELIST), ticket) == "paused: On site / restore: paused, 20 h 0 m left"


def test_the_badge_is_empty_when_no_promise_is_open(client, staff, at):
    ticket = factories.ticket_in(Status.RESOLVED, staff=staff, now=T0)
    logged_in(client, staff["agent"])
    assert badge(client.get(CHANGELIST), ticket) == "none: —"


def test_the_list_costs_the_same_queries_for_3_or_30_tickets(client, staff, at, django_assert_max_num_queries):
    logged_in(client, staff["agent"])
    technician = staff["technician"]
    for index in range(3):
        ticket = new_ticket(staff, priority=["critical", "high", "normal"][index % 3])
        ticket_transition(ticket=ticket, action="acknowledge", actor=staff["agent"], now=T0)
    client.get(CHANGELIST)  # warm caches (content types, calendars) like any running server
    with CaptureQueriesContext(connection) as three:
        assert len(rows(client.get(CHANGELIST))) == 3

    for index in range(27):
        ticket = new_ticket(staff, priority=["critical", "high", "normal"][index % 3])
        if index % 2:
            ticket = ticket_transition(ticket=ticket, action="acknowledge", actor=staff["agent"], now=T0)
            ticket = ticket_transition(
                ticket=ticket, action="diagnose", actor=staff["supervisor"], data={"diagnosis": "x"}, now=T0
            )
            ticket_transition(
                ticket=ticket,
                action="dispatch",
                actor=staff["supervisor"],
                data={"technician": technician.username},
                now=T0,
            )
    with django_assert_max_num_queries(len(three)):
        response = client.get(CHANGELIST)
    assert len(rows(response)) == 30
    assert response.content.decode().count('class="sla-badge') == 30


# --- search -----------------------------------------------------------------------------------


def test_search_by_number_serial_name_and_phone_for_roles_that_may_see_phones(client, staff, at):
    owner = factories.customer(name="孙磊", phone="13698765432")
    with_unit = ticket_create(
        customer=owner,
        ticket_type="repair",
        description="x",
        unit=factories.unit(serial="KFR35-7777", owner=owner),
        now=T0,
    ).ticket
    other = new_ticket(staff)

    logged_in(client, staff["agent"])
    assert rows(client.get(CHANGELIST, {"q": with_unit.number})) == [with_unit.number]
    assert rows(client.get(CHANGELIST, {"q": "KFR35-7777"})) == [with_unit.number]
    assert rows(client.get(CHANGELIST, {"q": "孙磊"})) == [with_unit.number]
    assert rows(client.get(CHANGELIST, {"q": "136-9876-5432"})) == [with_unit.number]
    assert other.number not in rows(client.get(CHANGELIST, {"q": "13698765432"}))

    # 004 §4.3: a manager may not confirm whose number it is by searching for it.
    logged_in(client, staff["manager"])
    assert rows(client.get(CHANGELIST, {"q": "13698765432"})) == []
    assert rows(client.get(CHANGELIST, {"q": "孙磊"})) == [with_unit.number]
    page = client.get(change_url(with_unit)).content.decode()
    assert "13698765432" not in page and "136****5432" in page


# --- the action buttons and their forms -------------------------------------------------------


def test_the_change_page_offers_one_button_per_allowed_action(client, staff, at):
    ticket = new_ticket(staff)
    logged_in(client, staff["agent"])
    content = client.get(change_url(ticket)).content.decode()
    assert re.findall(r'data-action="(\w+)"', content) == ["acknowledge", "cancel"]
    assert 'name="_save"' not in content  # the ticket itself is not edited in a form

    logged_in(client, staff["manager"])
    assert re.findall(r'data-action="(\w+)"', client.get(change_url(ticket)).content.decode()) == []


def test_acknowledge_through_the_intermediate_form(client, staff, at):
    ticket = new_ticket(staff)
    logged_in(client, staff["agent"])

    form = client.get(action_url(ticket, "acknowledge"))
    assert form.status_code == 200
    assert 'name="note"' in form.content.decode() and ticket.number in form.content.decode()

    response = client.post(
        action_url(ticket, "acknowledge"), {"note": "called back", "customer_message": "We are on it."}
    )
    assert response.status_code == 302 and response["Location"] == change_url(ticket)
    ticket.refresh_from_db()
    assert ticket.status == Status.ACKNOWLEDGED
    event = ticket.events.get(action="acknowledge")
    assert (event.actor, event.note) == (staff["agent"], "called back")
    public_note = ticket.events.get(action="note")
    assert public_note.public and public_note.note == "We are on it."
    assert clocks_for(ticket).get(name="first_response").state == "met"
    assert any("done" in text for text in texts(response))


def test_a_forbidden_action_is_refused_with_a_message_and_nothing_written(client, staff, at):
    ticket = factories.ticket_in(Status.DIAGNOSING, staff=staff, now=T0)
    events = ticket.events.count()
    logged_in(client, staff["agent"])  # dispatching is the supervisor's

    assert client.get(action_url(ticket, "dispatch")).status_code == 302  # not offered
    response = client.post(action_url(ticket, "dispatch"), {"technician": staff["technician"].username})
    assert response.status_code == 302 and response["Location"] == change_url(ticket)
    assert any("may not" in text for text in texts(response))
    ticket.refresh_from_db()
    assert ticket.status == Status.DIAGNOSING and ticket.events.count() == events


def test_an_action_no_longer_possible_says_the_ticket_changed(client, staff, at):
    ticket = new_ticket(staff)
    logged_in(client, staff["agent"])
    client.get(action_url(ticket, "acknowledge"))
    ticket_transition(ticket=ticket, action="acknowledge", actor=staff["supervisor"], now=T0)  # someone else

    response = client.post(action_url(ticket, "acknowledge"), {})
    assert response.status_code == 302
    assert any("changed meanwhile" in text for text in texts(response))
    assert Ticket.objects.get(pk=ticket.pk).events.filter(action="acknowledge").count() == 1


def test_a_service_validation_error_is_shown_on_the_form(client, staff, at):
    ticket = factories.ticket_in(Status.IN_PROGRESS, staff=staff, now=T0)
    logged_in(client, staff["technician"])

    response = client.post(action_url(ticket, "resolve"), {"resolution": "relay replaced", "functional_test": "failed"})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["functional_test"] == ["A repair is resolved only after a passed functional test."]
    assert "errorlist" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS

    response = client.post(action_url(ticket, "resolve"), {"resolution": "relay replaced", "functional_test": "passed"})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED


def test_form_level_validation_keeps_the_form(client, staff, at):
    ticket = factories.ticket_in(Status.ACKNOWLEDGED, staff=staff, now=T0)
    logged_in(client, staff["agent"])
    response = client.post(action_url(ticket, "cancel"), {"note": ""})
    assert response.status_code == 200
    assert "note" in response.context["form"].errors
    assert Ticket.objects.get(pk=ticket.pk).status == Status.ACKNOWLEDGED


def test_diagnose_records_fault_cause_and_component(client, staff, at):
    owner = factories.customer()
    unit = factories.unit(owner=owner)
    unit.product_model.components.create(code="compressor", name="Compressor")
    ticket = ticket_create(customer=owner, ticket_type="repair", description="x", unit=unit, now=T0).ticket
    ticket = ticket_transition(ticket=ticket, action="acknowledge", actor=staff["agent"], now=T0)
    # Not the technician: they see only tickets assigned to them (tickets.selectors.tickets_visible_to).
    logged_in(client, staff["agent"])

    page = client.get(action_url(ticket, "diagnose")).content.decode()
    assert 'value="compressor"' in page and 'value="liquid"' in page
    response = client.post(
        action_url(ticket, "diagnose"),
        {"diagnosis": "water in the board", "fault_cause": "liquid", "component": "compressor"},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.fault_cause, ticket.diagnosis) == (Status.DIAGNOSING, "liquid", "water in the board")
    assert ticket.entitlement.inputs["component"] == "compressor"


def test_dispatch_offers_certified_candidates_with_reasons(client, staff, make_user, at):
    factories.technician(make_user, certified=False, username="trainee")
    ticket = factories.ticket_in(Status.DIAGNOSING, staff=staff, now=T0)
    logged_in(client, staff["supervisor"])

    page = client.get(action_url(ticket, "dispatch"))
    content = page.content.decode()
    choices = [value for value, _label in page.context["form"].fields["technician"].choices]
    assert choices == [staff["technician"].username]
    assert "Same region" in content and "open ticket" in content
    assert "trainee" in content and "Not certified yet" in content  # listed apart, not offered

    response = client.post(
        action_url(ticket, "dispatch"),
        {"technician": staff["technician"].username, "appointment_at": "2026-11-24T14:30"},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.DISPATCHED and ticket.assignee == staff["technician"]
    assert ticket.appointment_at == shanghai(2026, 11, 24, 14, 30)


def test_a_quote_with_parts_lines_goes_to_the_customer(client, staff, at):
    owner = factories.customer()
    unit = factories.unit(owner=owner, purchase_date=T0.date() - timedelta(days=800))  # out of warranty
    ticket = ticket_create(customer=owner, ticket_type="repair", description="x", unit=unit, now=T0).ticket
    ticket = ticket_transition(ticket=ticket, action="acknowledge", actor=staff["agent"], now=T0)
    ticket = ticket_transition(ticket=ticket, action="diagnose", actor=staff["technician"], data={}, now=T0)
    logged_in(client, staff["agent"])

    page = client.get(action_url(ticket, "request_quote"))
    assert "Out of warranty" in page.content.decode()
    data = {
        "labour_hours": "1.5",
        "parts-TOTAL_FORMS": "3",
        "parts-INITIAL_FORMS": "0",
        "parts-MIN_NUM_FORMS": "0",
        "parts-MAX_NUM_FORMS": "50",
        "parts-0-part_number": "RELAY-12",
        "parts-0-description": "compressor relay",
        "parts-0-quantity": "2",
        "parts-0-unit_price": "35.00",
    }
    bad = client.post(
        action_url(ticket, "request_quote"), {**data, "parts-1-part_number": "X", "parts-1-quantity": "0"}
    )
    assert bad.status_code == 200 and bad.context["parts_formset"].total_error_count() > 0

    response = client.post(action_url(ticket, "request_quote"), data)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.AWAITING_QUOTE
    assert [(line.part_number, line.quantity) for line in ticket.quote.lines.all()] == [("RELAY-12", 2)]


def test_notes_and_parts_through_their_forms(client, staff, at):
    ticket = factories.ticket_in(Status.IN_PROGRESS, staff=staff, now=T0)
    logged_in(client, staff["technician"])

    assert client.post(f"{CHANGELIST}{ticket.pk}/note/", {"body": "customer's dog bites"}).status_code == 302
    note = ticket.events.get(action="note")
    assert note.public is False and note.actor == staff["technician"]

    response = client.post(
        f"{CHANGELIST}{ticket.pk}/part/",
        {"part_number": "RELAY-12", "description": "relay", "quantity": "1", "unit_cost": "35.00"},
    )
    assert response.status_code == 302
    assert ticket.parts.get().recorded_by == staff["technician"]
    assert "RELAY-12" in client.get(change_url(ticket)).content.decode()

    logged_in(client, staff["manager"])
    assert client.post(f"{CHANGELIST}{ticket.pk}/part/", {}).status_code == 403


# --- bulk assignment --------------------------------------------------------------------------


def test_bulk_assign_dispatches_each_ticket_and_reports_the_ones_it_could_not(client, staff, make_user, at):
    first = factories.ticket_in(Status.DIAGNOSING, staff=staff, now=T0)
    second = factories.ticket_in(Status.DISPATCHED, staff=staff, now=T0)
    fresh = new_ticket(staff)
    other = factories.technician(make_user, username="tech-li")
    logged_in(client, staff["supervisor"])
    selected = {"action": "assign_to_technician", "_selected_action": [first.pk, second.pk, fresh.pk]}

    page = client.post(CHANGELIST, selected)
    assert page.status_code == 200
    assert "tech-li" in page.content.decode() and fresh.number in page.content.decode()

    technician = Technician.objects.get(user=other)
    response = client.post(CHANGELIST, {**selected, "apply": "1", "technician": technician.pk, "note": "rebalance"})
    assert response.status_code == 302
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert (ticket.status, ticket.assignee) == (Status.DISPATCHED, other)
        assert ticket.events.filter(action="dispatch", actor=staff["supervisor"]).exists()
    assert Ticket.objects.get(pk=fresh.pk).assignee is None
    messages = texts(response)
    assert any(first.number in text and second.number in text for text in messages)
    assert any(fresh.number in text and "not assigned" in text for text in messages)


def test_bulk_assign_is_the_supervisors(client, staff, at):
    ticket = factories.ticket_in(Status.DIAGNOSING, staff=staff, now=T0)
    logged_in(client, staff["agent"])
    page = client.get(CHANGELIST).content.decode()
    assert "assign_to_technician" not in page
    client.post(CHANGELIST, {"action": "assign_to_technician", "_selected_action": [ticket.pk], "apply": "1"})
    assert Ticket.objects.get(pk=ticket.pk).status == Status.DIAGNOSING


# --- adding a ticket --------------------------------------------------------------------------


def test_the_add_form_registers_a_request_through_the_service(client, staff, at):
    logged_in(client, staff["agent"])
    assert client.get(f"{CHANGELIST}add/").status_code == 200

    response = client.post(
        f"{CHANGELIST}add/",
        {
            "new_customer_name": "钱多多",
            "new_customer_phone": "139 1234-5678",
            "ticket_type": "repair",
            "priority": "high",
            "channel": "wechat",
            "serial": "",
            "description": "外机异响",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == change_url(ticket)
    assert (ticket.customer.name, ticket.customer.phone, ticket.channel, ticket.priority) == (
        "钱多多",
        "13912345678",
        "wechat",
        "high",
    )
    assert ticket.events.get().actor == staff["agent"]
    assert {clock.name for clock in clocks_for(ticket)} == {"first_response", "on_site", "resolution"}
    assert LogEntry.objects.get().object_id == str(ticket.pk)
    assert any("/track/" in text for text in texts(response))

    # The same phone again: the request is added to that customer, not a duplicate.
    unit = factories.unit(serial="KFR35-0042", owner=ticket.customer)
    client.post(
        f"{CHANGELIST}add/",
        {
            "new_customer_name": "someone else",
            "new_customer_phone": "13912345678",
            "ticket_type": "repair",
            "priority": "normal",
            "channel": "phone",
            "serial": "kfr35-0042",
            "description": "again",
        },
    )
    assert Customer.objects.count() == 1
    assert Ticket.objects.get(description="again").unit == unit


def test_the_add_form_needs_a_customer_and_a_known_serial(client, staff, at):
    logged_in(client, staff["agent"])
    response = client.post(
        f"{CHANGELIST}add/",
        {"ticket_type": "repair", "priority": "normal", "channel": "phone", "serial": "NOPE", "description": "x"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "serial" in errors and "__all__" in errors
    assert not Ticket.objects.exists()

    existing = factories.customer()
    response = client.post(
        f"{CHANGELIST}add/",
        {
            "customer": existing.pk,
            "ticket_type": "consultation",
            "priority": "normal",
            "channel": "email",
            "description": "?",
        },
    )
    assert response.status_code == 302
    assert Ticket.objects.get().customer == existing


def test_the_status_is_never_edited_in_a_form(client, make_user, staff, at):
    ticket = new_ticket(staff)
    client.force_login(make_user(None, superuser=True))
    response = client.post(change_url(ticket), {"status": "closed"})
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW


# --- follow-ups -------------------------------------------------------------------------------


def test_a_breach_report_is_done_only_with_an_explanation_and_a_remedy(client, staff, at):
    ticket = new_ticket(staff, priority="high")
    sla_sweep(now=T0 + timedelta(hours=3))
    follow_up = FollowUp.objects.get(ticket=ticket, kind=FollowUpKind.BREACH_REPORT)
    logged_in(client, staff["agent"])

    listing = client.get("/admin/tickets/followup/").content.decode()
    assert f"/admin/tickets/followup/{follow_up.pk}/complete/" in listing
    url = f"/admin/tickets/followup/{follow_up.pk}/complete/"
    response = client.post(url, {"explanation": "hotline overloaded", "remedy": ""})
    assert response.status_code == 200 and "remedy" in response.context["form"].errors
    response = client.post(url, {"explanation": "hotline overloaded", "remedy": "called back, apologised"})
    assert response.status_code == 302
    follow_up.refresh_from_db()
    assert follow_up.done_by == staff["agent"] and follow_up.remedy == "called back, apologised"
    # Done ones leave the default (open) list.
    assert url not in client.get("/admin/tickets/followup/").content.decode()
    assert ticket.number in client.get("/admin/tickets/followup/?state=done").content.decode()


def test_a_low_score_follow_up_is_done_with_a_note(client, staff, at):
    ticket = factories.ticket_in(Status.RESOLVED, staff=staff, now=T0)
    survey_answer(ticket=ticket, score=2, now=T0)
    follow_up = FollowUp.objects.get(kind=FollowUpKind.LOW_SCORE)
    logged_in(client, staff["supervisor"])
    assert "explanation" not in client.get(f"/admin/tickets/followup/{follow_up.pk}/complete/").context["form"].fields
    client.post(f"/admin/tickets/followup/{follow_up.pk}/complete/", {"note": "called, offered a visit"})
    assert FollowUp.objects.get(pk=follow_up.pk).done_at is not None
    assert Survey.objects.get(ticket=ticket).score == 2


# --- standby loans ----------------------------------------------------------------------------


def test_standby_units_are_lent_and_returned_through_the_services(client, staff, at):
    ticket = factories.ticket_in(Status.DISPATCHED, staff=staff, now=T0)
    unit = StandbyUnit.objects.create(
        serial="SB-7", product_model=factories.air_conditioner(), region=factories.region()
    )
    logged_in(client, staff["supervisor"])

    response = client.post("/admin/tickets/standbyloan/add/", {"ticket": ticket.pk, "standby_unit": unit.pk})
    assert response.status_code == 302
    unit.refresh_from_db()
    assert unit.is_available is False
    assert TicketEvent.objects.filter(ticket=ticket, action="standby_lent").exists()

    loan = unit.loans.get()
    client.post("/admin/tickets/standbyloan/", {"action": "mark_returned", "_selected_action": [loan.pk]})
    unit.refresh_from_db()
    assert unit.is_available is True
