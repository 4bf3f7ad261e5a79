"""The complaints staff admin through Django's test client: who sees what, queues, the SLA badge,
a query count that does not grow with the rows, the action forms (happy and error paths) that call
``complaint_transition``, the add form with the duplicate rule, corrective actions, late promises.
"""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aftersales.core.sla.sweep import sla_sweep
from complaints.choices import CorrectiveStatus, Status
from complaints.models import BreachReport, Complaint, ComplaintEvent, ComplaintSlaPolicy, CorrectiveAction
from complaints.services import (
    complaint_create,
    complaint_transition,
    corrective_action_add,
    corrective_action_complete,
)
from conftest import shanghai
from tickets.services import ticket_create

from . import factories
from .factories import PROPOSAL

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 24, 10)  # a Tuesday, inside office hours
CHANGELIST = "/admin/complaints/complaint/"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


@pytest.fixture
def at(time_machine):
    def move(moment):
        time_machine.move_to(moment, tick=False)

    move(T0)
    return move


def change_url(complaint) -> str:
    return f"{CHANGELIST}{complaint.pk}/change/"


def action_url(complaint, action: str) -> str:
    return f"{CHANGELIST}{complaint.pk}/action/{action}/"


def logged_in(client, user):
    client.force_login(user)
    return client


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def rows(response) -> list[str]:
    return re.findall(r'<th class="field-number"><a href="[^"]+">(C\d+)</a>', response.content.decode())


def buttons(response) -> list[str]:
    return re.findall(r'class="button complaint-action" data-action="(\w+)"', response.content.decode())


def new_complaint(staff, *, now=T0, phone=None, **fields):
    owner = factories.customer(phone=phone) if phone else factories.customer()
    return factories.complaint(owner=owner, now=now, staff=staff, **fields)


def reload(complaint) -> Complaint:
    return Complaint.objects.get(pk=complaint.pk)


# --- who sees what ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "supervisor", "manager"])
def test_the_complaint_desk_and_management_see_the_list_and_the_page(client, staff, at, role):
    complaint = factories.complaint_in(Status.INVESTIGATING, staff=staff, now=T0)
    logged_in(client, staff[role])

    listing = client.get(CHANGELIST)
    assert listing.status_code == 200 and rows(listing) == [complaint.number]
    page = client.get(change_url(complaint))
    assert page.status_code == 200
    content = page.content.decode()
    assert complaint.number in content and "timeline" in content.lower()
    assert 'name="status"' not in content  # read-only: fields change through actions only


@pytest.mark.parametrize("role", ["technician", "coordinator"])
def test_roles_without_the_view_permission_see_no_complaint(client, staff, at, role):
    complaint = new_complaint(staff)
    logged_in(client, staff[role])
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(complaint)).status_code in (302, 403)
    assert client.get(action_url(complaint, "acknowledge")).status_code in (302, 403)
    assert client.get("/admin/complaints/correctiveaction/").status_code == 403


def test_people_without_a_staff_role_are_sent_to_the_login_page(client, staff, at):
    complaint = new_complaint(staff)
    logged_in(client, staff["nobody"])
    for url in (CHANGELIST, change_url(complaint), action_url(complaint, "acknowledge"), f"{CHANGELIST}add/"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    ("url", "roles", "refused"),
    [
        ("/admin/complaints/correctiveaction/", ["agent", "supervisor", "manager"], ["technician"]),
        ("/admin/complaints/breachreport/", ["agent", "supervisor", "manager"], ["technician"]),
        ("/admin/complaints/staffcomplaintrecord/", ["supervisor", "manager"], ["agent", "technician"]),
        ("/admin/complaints/complaintslapolicy/", ["agent", "supervisor", "manager"], ["technician"]),
    ],
)
def test_the_other_complaint_admins_render_for_the_roles_that_may_see_them(client, staff, at, url, roles, refused):
    factories.complaint_in(Status.CLOSED, staff=staff, now=T0)
    for role in roles:
        assert logged_in(client, staff[role]).get(url).status_code == 200, role
    for role in refused:
        assert logged_in(client, staff[role]).get(url).status_code == 403, role


# --- queues, filters, badge, search -------------------------------------------------------------


def test_queues_mine_unassigned_due_soon_and_breached(client, staff, at):
    mine = factories.complaint_in(Status.ACKNOWLEDGED, staff=staff, now=T0)  # owned by the agent
    critical = new_complaint(staff, severity="critical", category="product.function_defect")  # 1 h to respond
    late = new_complaint(staff, now=T0 - timedelta(days=3))  # 1 working day to respond: late
    closed = factories.complaint_in(Status.CLOSED, staff=staff, now=T0)
    at(T0 + timedelta(minutes=10))

    logged_in(client, staff["agent"])
    assert rows(client.get(CHANGELIST + "?queue=mine")) == [mine.number]
    assert set(rows(client.get(CHANGELIST + "?queue=unassigned"))) == {critical.number, late.number}
    assert rows(client.get(CHANGELIST + "?queue=due_soon")) == [critical.number]
    assert rows(client.get(CHANGELIST + "?queue=breached")) == [late.number]
    sla_sweep(now=T0 + timedelta(hours=2))
    at(T0 + timedelta(hours=2))
    assert set(rows(client.get(CHANGELIST + "?queue=breached"))) == {late.number, critical.number}
    assert closed.number not in rows(client.get(CHANGELIST + "?queue=unassigned"))
    listing = client.get(CHANGELIST)
    assert len(rows(listing)) == 4 and 'href="?queue=due_soon"' in listing.content.decode()


def test_filters_status_severity_category_group_and_channel(client, staff, at):
    product = new_complaint(staff, category="product.appearance", severity="major", channel="letter")
    service = new_complaint(staff, category="service.attitude")
    logged_in(client, staff["supervisor"])
    assert rows(client.get(CHANGELIST + "?group=product")) == [product.number]
    assert rows(client.get(CHANGELIST + "?group=service")) == [service.number]
    assert rows(client.get(CHANGELIST + "?severity__exact=major")) == [product.number]
    assert rows(client.get(CHANGELIST + "?channel__exact=letter")) == [product.number]
    assert set(rows(client.get(CHANGELIST + "?status__exact=received"))) == {product.number, service.number}
    content = client.get(CHANGELIST).content.decode()
    assert 'class="field-escalation">2 · manager<' in content  # major → the service manager at intake


def badge(response, complaint) -> str:
    row = re.search(rf">{complaint.number}</a>.*?</tr>", response.content.decode(), re.S).group(0)
    match = re.search(r'<span class="sla-badge sla-(\w+)" title="[^"]*">([^<]+)</span>', row)
    return f"{match.group(1)}: {match.group(2)}" if match else ""


def test_the_sla_badge_shows_time_left_then_overdue(client, staff, at):
    complaint = new_complaint(staff, severity="critical", category="product.function_defect")  # 7×24, 1 h
    logged_in(client, staff["agent"])
    at(T0 + timedelta(minutes=30))
    assert badge(client.get(CHANGELIST), complaint) == "ok: First response: 30 m left"
    at(T0 + timedelta(minutes=50))
    assert badge(client.get(CHANGELIST), complaint) == "warning: First response: 10 m left"
    at(T0 + timedelta(hours=2))
    assert badge(client.get(CHANGELIST), complaint) == "breached: First response: 1 h 0 m overdue"
    closed = factories.complaint_in(Status.CLOSED, staff=staff, now=T0)
    assert badge(client.get(CHANGELIST), closed) == "none: —"


def test_the_list_costs_the_same_queries_for_3_or_30_complaints(client, staff, at, django_assert_max_num_queries):
    logged_in(client, staff["agent"])
    for index in range(3):
        new_complaint(staff, phone=f"1390000{index:04d}", severity=["general", "major", "critical"][index % 3])
    client.get(CHANGELIST)  # warm caches (content types, calendars) like a running server
    with CaptureQueriesContext(connection) as three:
        assert len(rows(client.get(CHANGELIST))) == 3

    for index in range(27):
        item = new_complaint(staff, phone=f"1380000{index:04d}", severity=["general", "major", "critical"][index % 3])
        if index % 2:
            complaint_transition(complaint=item, action="acknowledge", actor=staff["agent"], now=T0)
    with django_assert_max_num_queries(len(three)):
        response = client.get(CHANGELIST)
    assert len(rows(response)) == 30
    assert response.content.decode().count('class="sla-badge') == 30


def test_search_by_number_serial_and_phone_only_for_roles_that_may_see_phones(client, staff, at):
    owner = factories.customer(name="孙磊", phone="13698765432")
    unit = factories.unit(serial="KFR35-7777", owner=owner)
    with_unit = factories.complaint(owner=owner, unit=unit, now=T0, staff=staff)
    other = new_complaint(staff)

    logged_in(client, staff["agent"])
    assert rows(client.get(CHANGELIST, {"q": with_unit.number})) == [with_unit.number]
    assert rows(client.get(CHANGELIST, {"q": "KFR35-7777"})) == [with_unit.number]
    assert rows(client.get(CHANGELIST, {"q": "136-9876-5432"})) == [with_unit.number]
    assert other.number not in rows(client.get(CHANGELIST, {"q": "13698765432"}))

    logged_in(client, staff["manager"])  # 004 §4.3: no phone numbers, not even by searching
    assert rows(client.get(CHANGELIST, {"q": "13698765432"})) == []
    page = client.get(change_url(with_unit)).content.decode()
    assert "13698765432" not in page and "136****5432" in page


# --- the action buttons and their forms ---------------------------------------------------------


def test_the_buttons_are_the_actions_this_user_may_do_now(client, staff, at):
    complaint = new_complaint(staff)
    assert set(buttons(logged_in(client, staff["agent"]).get(change_url(complaint)))) == {
        "acknowledge",
        "classify",
        "withdraw",
    }
    assert "assign" in buttons(logged_in(client, staff["supervisor"]).get(change_url(complaint)))
    assert buttons(logged_in(client, staff["manager"]).get(change_url(complaint))) == ["assign"]


def test_acknowledge_with_an_owner_and_a_promise(client, staff, at):
    complaint = new_complaint(staff)
    logged_in(client, staff["agent"])
    form = client.get(action_url(complaint, "acknowledge"))
    assert form.status_code == 200 and 'name="promised_by"' in form.content.decode()

    response = client.post(
        action_url(complaint, "acknowledge"),
        {
            "owner": staff["supervisor"].username,
            "promised_by": "2026-11-26T17:00",
            "note": "Called back.",
            "customer_message": "Our supervisor handles your complaint.",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith(change_url(complaint))
    complaint = reload(complaint)
    assert complaint.status == Status.ACKNOWLEDGED and complaint.owner == staff["supervisor"]
    assert complaint.promised_by == shanghai(2026, 11, 26, 17)
    assert ComplaintEvent.objects.filter(complaint=complaint, action="note", public=True).exists()
    assert any("done" in text for text in texts(response))


def test_a_service_validation_error_is_shown_on_the_form_and_nothing_changes(client, staff, at):
    complaint = new_complaint(staff)
    logged_in(client, staff["agent"])
    # Reclassifying to the same category and severity is refused by the service (a non-field error).
    response = client.post(
        action_url(complaint, "classify"), {"category": "service.attitude", "severity": "general", "note": "x"}
    )
    assert response.status_code == 400
    assert "Change the category or the severity." in response.content.decode()
    # A promise further than 90 days is refused on its field.
    response = client.post(action_url(complaint, "acknowledge"), {"promised_by": "2027-06-01T10:00"})
    assert response.status_code == 400 and "Promise a time in the next 90 days." in response.content.decode()
    assert reload(complaint).status == Status.RECEIVED


def test_form_level_validation_keeps_the_form(client, staff, at):
    complaint = factories.complaint_in(Status.PROPOSED, staff=staff, now=T0)
    logged_in(client, staff["agent"])
    response = client.post(action_url(complaint, "contact_attempt"), {})
    assert response.status_code == 400 and "This field is required." in response.content.decode()


def test_classify_raises_the_severity_and_the_escalation(client, staff, at):
    complaint = new_complaint(staff)
    logged_in(client, staff["agent"])
    response = client.post(
        action_url(complaint, "classify"),
        {"category": "product.function_defect", "severity": "major", "note": "Smoke from the unit."},
    )
    assert response.status_code == 302
    complaint = reload(complaint)
    assert (complaint.category, complaint.severity, complaint.escalation_level) == (
        "product.function_defect",
        "major",
        2,
    )


def test_a_forbidden_action_is_refused_with_403_and_nothing_written(client, staff, at):
    complaint = factories.complaint_in(Status.ACKNOWLEDGED, staff=staff, now=T0)
    events = ComplaintEvent.objects.count()
    logged_in(client, staff["agent"])  # agents answer; supervisors investigate
    response = client.post(action_url(complaint, "investigate"), {"note": "x"})
    assert response.status_code == 403
    assert any("You may not" in text for text in texts(response))
    assert reload(complaint).status == Status.ACKNOWLEDGED and ComplaintEvent.objects.count() == events


def test_an_action_no_longer_possible_says_the_complaint_changed(client, staff, at):
    complaint = new_complaint(staff)
    logged_in(client, staff["supervisor"])
    response = client.post(action_url(complaint, "investigate"), {})  # still received: not yet
    assert response.status_code == 302
    assert any("the complaint changed" in text for text in texts(response))
    response = client.get(action_url(complaint, "close"))
    assert response.status_code == 302 and any("the complaint changed" in text for text in texts(response))
    assert client.get(action_url(complaint, "fly")).status_code == 404


def test_propose_a_resolution_with_root_causes_then_the_customer_accepts_and_the_agent_closes(client, staff, at):
    complaint = factories.complaint_in(Status.INVESTIGATING, staff=staff, now=T0)
    logged_in(client, staff["supervisor"])
    form = client.get(action_url(complaint, "propose_resolution")).content.decode()
    assert 'type="checkbox" name="root_causes"' in form and "above 500" in form.lower()

    response = client.post(
        action_url(complaint, "propose_resolution"),
        {
            "cause": "service",
            "root_causes": ["miscommunication", "insufficient_skill"],
            "findings": "The fee was not explained.",
            "responsible_staff": staff["technician"].username,
            "resolution_type": "compensation",
            "resolution": "Apology and a coupon.",
            "compensation_kind": "coupon",
            "compensation_amount": "100",
        },
    )
    assert response.status_code == 302
    complaint = reload(complaint)
    assert complaint.status == Status.PROPOSED
    assert complaint.root_causes == ["miscommunication", "insufficient_skill"]
    assert complaint.responsible_staff == staff["technician"]

    logged_in(client, staff["agent"])
    assert client.post(action_url(complaint, "confirm"), {"note": "Accepted on the phone."}).status_code == 302
    close_form = client.get(action_url(complaint, "close")).content.decode()
    assert 'name="return_visit"' in close_form and 'name="close_reason"' not in close_form
    assert client.post(action_url(complaint, "close"), {}).status_code == 400
    response = client.post(action_url(complaint, "close"), {"return_visit": "Satisfied."})
    assert response.status_code == 302
    complaint = reload(complaint)
    assert complaint.status == Status.CLOSED and complaint.staff_records.get().staff == staff["technician"]


def test_propose_errors_from_the_service_land_on_their_fields(client, staff, at):
    complaint = factories.complaint_in(Status.INVESTIGATING, staff=staff, now=T0)
    logged_in(client, staff["supervisor"])
    response = client.post(
        action_url(complaint, "propose_resolution"),
        {
            "cause": "product_defect",
            "findings": "x",
            "resolution_type": "repair",
            "resolution": "We repair it.",
        },
    )
    assert response.status_code == 400
    assert "Name at least one root cause." in response.content.decode()
    assert reload(complaint).status == Status.INVESTIGATING


def test_compensation_above_the_limit_waits_for_the_managers_approval(client, staff, at):
    complaint = factories.complaint_in(Status.INVESTIGATING, staff=staff, now=T0)
    logged_in(client, staff["supervisor"])
    data = {**PROPOSAL, "compensation_kind": "refund", "compensation_amount": "800"}
    response = client.post(action_url(complaint, "propose_resolution"), data)
    assert response.status_code == 302
    assert any("service manager approves" in text for text in texts(response))
    complaint = reload(complaint)
    assert complaint.status == Status.AWAITING_APPROVAL
    assert "approve_resolution" not in buttons(client.get(change_url(complaint)))

    logged_in(client, staff["manager"])
    assert {"approve_resolution", "reject_resolution"} <= set(buttons(client.get(change_url(complaint))))
    assert client.post(action_url(complaint, "reject_resolution"), {}).status_code == 400  # a reason is needed
    assert client.post(action_url(complaint, "approve_resolution"), {}).status_code == 302
    assert reload(complaint).status == Status.PROPOSED


def test_closing_without_confirmation_needs_three_attempts_and_a_reason(client, staff, at):
    complaint = factories.complaint_in(Status.PROPOSED, staff=staff, now=T0)
    logged_in(client, staff["agent"])
    assert "close" not in buttons(client.get(change_url(complaint)))
    for attempt in range(3):
        response = client.post(action_url(complaint, "contact_attempt"), {"note": f"Call {attempt + 1}: no answer"})
        assert response.status_code == 302
    form = client.get(action_url(complaint, "close")).content.decode()
    assert 'name="close_reason"' in form and 'name="return_visit"' not in form
    assert client.post(action_url(complaint, "close"), {"close_reason": "No answer after 3 calls."}).status_code == 302
    assert reload(complaint).status == Status.CLOSED


def test_assign_an_owner_and_unlink_a_wrong_duplicate(client, staff, at):
    first = new_complaint(staff)
    linked = complaint_create(customer=first.customer, category=first.category, description="again", now=T0).complaint
    assert linked.status == Status.LINKED
    logged_in(client, staff["supervisor"])
    page = client.get(change_url(linked)).content.decode()
    assert f">{first.number}</a>" in page and "Duplicate of" in page
    assert f">{linked.number}</a>" in client.get(change_url(first)).content.decode()

    assert client.post(action_url(linked, "unlink"), {}).status_code == 400
    assert client.post(action_url(linked, "unlink"), {"note": "Another problem."}).status_code == 302
    assert reload(linked).status == Status.RECEIVED
    response = client.post(action_url(first, "assign"), {"owner": staff["agent2"].username})
    assert response.status_code == 302 and reload(first).owner == staff["agent2"]
    response = client.post(action_url(first, "assign"), {"owner": staff["technician"].username})
    assert response.status_code == 400  # not someone who handles complaints


# --- the add form -------------------------------------------------------------------------------


def test_the_add_form_registers_a_complaint_with_tickets_and_an_owner(client, staff, at):
    owner = factories.customer(phone="13711112222")
    unit = factories.unit(owner=owner, serial="SN-ADD-1")
    ticket = ticket_create(customer=owner, ticket_type="repair", description="x", now=T0).ticket
    logged_in(client, staff["agent"])
    assert client.get(f"{CHANGELIST}add/").status_code == 200

    response = client.post(
        f"{CHANGELIST}add/",
        {
            "customer": owner.pk,
            "channel": "letter",
            "category": "service.late_repair",
            "severity": "major",
            "description": "Waited two weeks for the repair.",
            "serial": "SN-ADD-1",
            "ticket_numbers": ticket.number.lower(),
            "owner": staff["supervisor"].username,
        },
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get()
    assert response["Location"].endswith(change_url(complaint))
    assert (complaint.channel, complaint.severity, complaint.unit, complaint.owner) == (
        "letter",
        "major",
        unit,
        staff["supervisor"],
    )
    assert list(complaint.tickets.all()) == [ticket]
    assert any("/track/" in text for text in texts(response))


def test_the_add_form_creates_the_customer_and_refuses_unknown_things(client, staff, at):
    logged_in(client, staff["agent"])
    response = client.post(
        f"{CHANGELIST}add/",
        {"channel": "phone", "category": "service.attitude", "severity": "general", "description": "x"},
    )
    assert response.status_code == 200 and "Choose an existing customer" in response.content.decode()
    response = client.post(
        f"{CHANGELIST}add/",
        {
            "new_customer_name": "钱多多",
            "new_customer_phone": "139 1234 0000",
            "channel": "phone",
            "category": "service.attitude",
            "severity": "general",
            "description": "x",
            "serial": "NOPE",
            "ticket_numbers": "T2026000000001",
        },
    )
    content = response.content.decode()
    assert "No registered unit has this serial number" in content and "Unknown ticket numbers" in content
    assert not Complaint.objects.exists()
    response = client.post(
        f"{CHANGELIST}add/",
        {
            "new_customer_name": "钱多多",
            "new_customer_phone": "139 1234 0000",
            "channel": "visit",
            "category": "other.price_dispute",
            "severity": "general",
            "description": "The quote was twice the list price.",
        },
    )
    assert response.status_code == 302
    assert Complaint.objects.get().customer.name == "钱多多"


def test_the_add_form_links_a_repeat_and_says_so_unless_handled_separately(client, staff, at):
    first = new_complaint(staff)
    logged_in(client, staff["agent"])
    data = {
        "customer": first.customer.pk,
        "channel": "phone",
        "category": first.category,
        "severity": "general",
        "description": "Calling again about the same.",
    }
    response = client.post(f"{CHANGELIST}add/", data)
    assert response.status_code == 302
    repeat = Complaint.objects.exclude(pk=first.pk).get()
    assert repeat.status == Status.LINKED and repeat.duplicate_of == first
    assert any("Linked as a repeat of the open complaint" in text and first.number in text for text in texts(response))

    response = client.post(f"{CHANGELIST}add/", {**data, "allow_duplicate": "on"})
    assert response.status_code == 200 and "Say why this complaint is handled separately." in response.content.decode()
    response = client.post(
        f"{CHANGELIST}add/", {**data, "allow_duplicate": "on", "duplicate_reason": "A second, new failure."}
    )
    assert response.status_code == 302
    separate = Complaint.objects.order_by("-pk").first()
    assert separate.status == Status.RECEIVED and separate.duplicate_override_reason == "A second, new failure."


# --- corrective actions, late promises, records, policies -----------------------------------------


def test_corrective_actions_planned_done_and_verified_through_the_forms(client, staff, at):
    complaint = factories.complaint_in(Status.INVESTIGATING, staff=staff, now=T0)
    logged_in(client, staff["supervisor"])
    url = f"{CHANGELIST}{complaint.pk}/corrective/"
    assert (
        client.post(url, {"description": "Fee table in the van", "owner": staff["agent"].username}).status_code == 200
    )
    response = client.post(
        url,
        {"description": "Fee table in every van.", "owner": staff["agent"].username, "due_at": "2026-12-01T10:00"},
    )
    assert response.status_code == 302
    action = CorrectiveAction.objects.get()

    logged_in(client, staff["manager"])  # not the owner, cannot mark it done
    listing = client.get("/admin/complaints/correctiveaction/").content.decode()
    assert "Mark done" in listing and "Verify" not in listing  # managers run the plan too
    logged_in(client, staff["agent"])  # the owner
    done_url = f"/admin/complaints/correctiveaction/{action.pk}/complete/"
    assert client.post(done_url, {}).status_code == 200
    assert client.post(done_url, {"note": "Printed and placed."}).status_code == 302
    action.refresh_from_db()
    assert action.status == CorrectiveStatus.DONE

    verify_url = f"/admin/complaints/correctiveaction/{action.pk}/verify/"
    assert client.get(verify_url).status_code == 403  # the owner does not verify
    logged_in(client, staff["manager"])
    response = client.post(verify_url, {"verdict": "not_effective", "note": "Still missing in van 3."})
    assert response.status_code == 200 and "Set a new due time" in response.content.decode()
    response = client.post(verify_url, {"verdict": "effective", "note": "Checked all vans."})
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == CorrectiveStatus.VERIFIED and action.verified_by == staff["manager"]


def test_the_corrective_list_shows_overdue_actions_first(client, staff, at):
    complaint = factories.complaint_in(Status.INVESTIGATING, staff=staff, now=T0)
    later = corrective_action_add(
        complaint=complaint,
        description="plan-later",
        owner=staff["agent"],
        due_at=T0 + timedelta(days=20),
        actor=staff["supervisor"],
        now=T0,
    )
    overdue = corrective_action_add(
        complaint=complaint,
        description="plan-overdue",
        owner=staff["agent"],
        due_at=T0 + timedelta(days=1),
        actor=staff["supervisor"],
        now=T0,
    )
    done = corrective_action_add(
        complaint=complaint,
        description="plan-done",
        owner=staff["agent"],
        due_at=T0 + timedelta(hours=2),
        actor=staff["supervisor"],
        now=T0,
    )
    corrective_action_complete(action=done, actor=staff["agent"], note="ok", now=T0 + timedelta(hours=1))
    at(T0 + timedelta(days=2))
    content = logged_in(client, staff["supervisor"]).get("/admin/complaints/correctiveaction/").content.decode()
    order = [content.index(f">{text}<") for text in ("plan-overdue", "plan-later", "plan-done")]
    assert order == sorted(order)
    assert "sla-breached" in content
    filtered = client.get("/admin/complaints/correctiveaction/?state=overdue").content.decode()
    assert ">plan-overdue<" in filtered and ">plan-later<" not in filtered
    assert later.pk and overdue.pk


def test_a_late_promise_is_explained_with_both_an_explanation_and_a_remedy(client, staff, at):
    complaint = new_complaint(staff)
    sla_sweep(now=T0 + timedelta(days=2))  # the first response was due after 1 working day
    report = BreachReport.objects.get(complaint=complaint)
    logged_in(client, staff["agent"])
    listing = client.get("/admin/complaints/breachreport/?state=open").content.decode()
    assert complaint.number in listing and "Explain" in listing
    url = f"/admin/complaints/breachreport/{report.pk}/explain/"
    assert client.post(url, {"explanation": "Busy week."}).status_code == 200
    response = client.post(url, {"explanation": "Busy week.", "remedy": "Called at once, apologised."})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.done_by == staff["agent"] and report.remedy.startswith("Called")
    assert client.get(url).status_code == 302  # explained once
    logged_in(client, staff["manager"])
    assert client.get(url).status_code == 403


def test_staff_records_are_listed_by_staff_member(client, staff, at):
    complaint = factories.complaint_in(Status.INVESTIGATING, staff=staff, now=T0)
    data = {**PROPOSAL, "responsible_staff": staff["technician"].username}
    complaint = complaint_transition(
        complaint=complaint, action="propose_resolution", actor=staff["supervisor"], data=data, now=T0
    )
    complaint = complaint_transition(complaint=complaint, action="confirm", by_customer=True, now=T0)
    complaint_transition(complaint=complaint, action="close", actor=staff["agent"], data={"return_visit": "ok"}, now=T0)
    logged_in(client, staff["manager"])
    content = client.get(f"/admin/complaints/staffcomplaintrecord/?staff__id__exact={staff['technician'].pk}")
    assert complaint.number in content.content.decode()
    empty = client.get(f"/admin/complaints/staffcomplaintrecord/?staff__id__exact={staff['agent'].pk}")
    assert complaint.number not in empty.content.decode()


def test_the_sla_policy_per_severity_is_editable_by_an_administrator(client, make_user, at):
    client.force_login(make_user(None, superuser=True))
    policy = ComplaintSlaPolicy.objects.get(severity="general")
    url = f"/admin/complaints/complaintslapolicy/{policy.pk}/change/"
    base = {
        "severity": "general",
        "first_response_minutes": 480,
        "resolution_minutes": policy.resolution_minutes,
        "calendar": policy.calendar_id,
        "thresholds": "[50, 75, 90]",
        "escalation_ladder": '["owner", "supervisor", "manager"]',
    }
    assert client.post(url, {**base, "escalation_ladder": '["owner", "pope"]'}).status_code == 200
    assert client.post(url, base).status_code == 302
    policy.refresh_from_db()
    assert policy.first_response_minutes == 480 and policy.escalation_ladder == ["owner", "supervisor", "manager"]
