"""The customer's complaint pages through Django's test client: /complaint/ and /track/<token>/."""

import re
import uuid
from datetime import timedelta

import pytest
from django.test import override_settings

from complaints.choices import Status
from complaints.models import Complaint, ComplaintEvent
from complaints.portal.views import COMPLAINT_RATE_SCOPE
from complaints.services import complaint_create, complaint_transition
from conftest import shanghai
from tickets.services import ticket_create

from . import factories
from .factories import PROPOSAL

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 24, 10)
FORM = "/complaint/"


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


@pytest.fixture
def at(time_machine):
    def move(moment):
        time_machine.move_to(moment, tick=False)

    move(T0)
    return move


@pytest.fixture
def client(client):
    # Each test its own client address: the per-address limit lives in the shared Redis cache.
    client.defaults["REMOTE_ADDR"] = "10." + ".".join(str(uuid.uuid4().int % 250) for _ in range(3))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def post(client, url, form, **fields):
    return client.post(url, {"form": form, **{f"{form}-{name}": value for name, value in fields.items()}})


FIELDS = {
    "category": "service.attitude",
    "name": "周芷若",
    "phone": "139 0000 1111",
    "description": "The technician was rude and left without fixing anything.",
}


def tracked(staff, status=Status.RECEIVED, **fields):
    """A complaint walked to ``status`` and its tracking URL (the token exists only at creation)."""
    created = complaint_create(
        customer=fields.pop("owner", None) or factories.customer(),
        category=fields.pop("category", "service.attitude"),
        description="服务态度差",
        actor=staff["agent"],
        now=T0,
        **fields,
    )
    complaint = created.complaint
    for action, role, data in factories.PATH:
        if complaint.status == status:
            break
        actor = staff["supervisor"] if action in ("investigate", "propose_resolution") else role and staff[role]
        complaint = complaint_transition(
            complaint=complaint, action=action, actor=actor, by_customer=role is None, data=dict(data), now=T0
        )
    assert complaint.status == status
    return complaint, f"/track/{created.tracking_token}/"


# --- /complaint/ --------------------------------------------------------------------------------


def test_the_home_page_links_to_the_complaint_form(client):
    content = client.get("/").content.decode()
    assert 'href="/complaint/"' in content


def test_the_form_offers_the_category_tree_as_groups(client):
    response = client.get(FORM)
    content = response.content.decode()
    assert response.status_code == 200
    assert content.count("<optgroup") == 3 and 'value="product.packaging"' in content
    assert 'name="ticket_number"' in content and 'name="serial"' in content


def test_a_complaint_is_registered_and_the_link_shown_once(client, staff, at):
    owner = factories.customer(phone="13900001111")
    unit = factories.unit(owner=owner, serial="SN-PORTAL-1")
    ticket = ticket_create(customer=owner, ticket_type="repair", description="x", now=T0).ticket
    response = client.post(FORM, {**FIELDS, "serial": "SN-PORTAL-1", "ticket_number": ticket.number.lower()})
    assert response.status_code == 302 and response["Location"] == "/complaint/thanks/"

    complaint = Complaint.objects.get()
    assert (complaint.customer, complaint.unit, complaint.channel) == (owner, unit, "online")
    assert list(complaint.tickets.all()) == [ticket]
    thanks = client.get("/complaint/thanks/")
    content = thanks.content.decode()
    assert complaint.number in content and "/track/" in content
    assert thanks["X-Robots-Tag"] == "noindex, nofollow"
    link = re.search(r'id="tracking-link"[^>]*href="(/track/[^"]+/)"', content).group(1)
    assert client.get(link).status_code == 200
    again = client.get("/complaint/thanks/")
    assert again.status_code == 302 and again["Location"] == FORM


def test_a_ticket_number_that_is_not_the_customers_is_not_linked_and_the_page_says_so(client, staff, at):
    # Someone else's request, and a number nobody has: the same answer, which names no owner.
    stranger = factories.customer(phone="13900009999")
    other = ticket_create(customer=stranger, ticket_type="repair", description="x", now=T0).ticket
    for number in (other.number, "T2026112399999"):
        assert client.post(FORM, {**FIELDS, "ticket_number": number}).status_code == 302
        text = page_text(client.get("/complaint/thanks/"))
        assert f"We could not find request {number} under the phone number you gave" in text
    assert not Complaint.objects.filter(tickets__isnull=False).exists()


def test_a_repeat_of_an_open_complaint_is_linked_and_the_thanks_page_says_so(client, staff, at):
    first, _url = tracked(staff, owner=factories.customer(phone="13900001111"))
    assert client.post(FORM, FIELDS).status_code == 302
    content = page_text(client.get("/complaint/thanks/"))
    assert "You already have an open complaint about the same matter" in content and first.number in content


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": ""}, "category"),
        ({"category": "product"}, "category"),
        ({"phone": "12"}, "phone"),
        ({"name": ""}, "name"),
        ({"description": ""}, "description"),
        ({"email": "not-an-email"}, "email"),
        ({"ticket_number": "T123"}, "ticket_number"),  # a made-up number is refused, not kept silently
        ({"ticket_number": "A2026112300042"}, "ticket_number"),
    ],
)
def test_form_errors_are_shown_in_the_page_and_nothing_is_written(client, at, change, field):
    response = client.post(FORM, {**FIELDS, **change})
    assert response.status_code == 400
    assert re.search(rf'class="field[^"]*has-error[^"]*">\s*<label for="id_{field}"', response.content.decode())
    assert not Complaint.objects.exists()


def test_photos_sent_with_the_form_are_kept_with_the_complaint(client, at, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    photos = [SimpleUploadedFile("dent.png", png, "image/png"), SimpleUploadedFile("box.png", png, "image/png")]
    assert client.post(FORM, {**FIELDS, "photos": photos}).status_code == 302
    assert sorted(Complaint.objects.get().attachments.values_list("original_name", flat=True)) == [
        "box.png",
        "dent.png",
    ]

    fake = SimpleUploadedFile("photo.png", b"<script>", "image/png")
    refused = client.post(FORM, {**FIELDS, "phone": "13900002222", "photos": [fake]})
    assert refused.status_code == 400 and Complaint.objects.count() == 1
    assert re.search(r'class="field[^"]*has-error[^"]*">\s*<label for="id_photos"', refused.content.decode())


@override_settings(PORTAL_COMPLAINT_RATE_LIMIT="2/hour")
def test_the_complaint_form_is_rate_limited_per_address(client, at):
    assert COMPLAINT_RATE_SCOPE == "portal-complaint"
    for index in range(2):
        assert client.post(FORM, {**FIELDS, "phone": f"1390000{index:04d}"}).status_code == 302
    limited = client.post(FORM, {**FIELDS, "phone": "13900009999"})
    assert limited.status_code == 429
    assert "many complaints from your network" in page_text(limited)
    assert Complaint.objects.count() == 2
    other_address = "10." + ".".join(str(uuid.uuid4().int % 250) for _ in range(3))
    other = client.post(FORM, FIELDS, REMOTE_ADDR=other_address)  # another address is not limited
    assert other.status_code == 302


# --- /track/<token>/ for a complaint --------------------------------------------------------------


def steps(response) -> list[str]:
    return re.findall(r'<li class="step step-(\w+)"', response.content.decode())


def test_the_tracking_page_shows_progress_owner_and_expected_handling_time(client, staff, at):
    complaint, url = tracked(staff)
    received = client.get(url)
    assert received.status_code == 200
    assert steps(received) == ["current", "todo", "todo", "todo", "todo", "todo"]
    assert "Complaint" in page_text(received) and complaint.number in page_text(received)

    complaint_transition(
        complaint=complaint,
        action="acknowledge",
        actor=staff["agent"],
        data={"promised_by": "2026-11-26T17:00:00+08:00"},
        now=T0,
    )
    acknowledged = client.get(url)
    content = acknowledged.content.decode()
    assert steps(acknowledged) == ["done", "current", "todo", "todo", "todo", "todo"]
    assert re.search(r'id="complaint-owner">[^<]*agent', content)
    assert 'datetime="2026-11-26T17:00:00+08:00"' in content
    assert 'id="resolution"' not in content and 'name="form" value="object"' not in content


def test_a_proposal_is_shown_with_its_compensation_and_can_be_accepted(client, staff, at):
    complaint, url = tracked(staff, Status.PROPOSED)
    response = client.get(url)
    content = response.content.decode()
    assert steps(response) == ["done", "done", "done", "current", "todo", "todo"]
    assert 'id="resolution-type">Compensation<' in content
    assert PROPOSAL["resolution"] in content
    assert re.search(r'id="resolution-compensation">Coupon · 100\.00<', content)
    assert 'value="confirm"' in content and 'value="object"' in content
    assert "Paused while we wait for your answer to our proposal." in page_text(response)

    response = post(client, url, "confirm")
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.CONFIRMED
    after = client.get(url)
    assert steps(after) == ["done", "done", "done", "done", "current", "todo"]
    assert "How your complaint was resolved" in page_text(after) and 'value="object"' not in after.content.decode()


def test_objecting_needs_a_reason_and_sends_the_complaint_back_to_the_investigation(client, staff, at):
    complaint, url = tracked(staff, Status.PROPOSED)
    refused = post(client, url, "object", reason="")
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == Status.PROPOSED

    response = post(client, url, "object", reason="A coupon is not enough; I want a refund.")
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.INVESTIGATING and complaint.objection_count == 1
    event = ComplaintEvent.objects.get(complaint=complaint, action="object")
    assert event.by_customer and event.note == "A coupon is not enough; I want a refund."
    page = client.get(url)
    assert "We have your objection" in page_text(page)
    assert steps(page) == ["done", "done", "current", "todo", "todo", "todo"]


def test_a_message_from_the_customer(client, staff, at):
    complaint, url = tracked(staff)
    assert post(client, url, "message", body="").status_code == 400
    assert post(client, url, "message", body="Please call me after 6 pm.").status_code == 302
    assert ComplaintEvent.objects.get(complaint=complaint, action="customer_message").note.startswith("Please")
    assert "Please call me after 6 pm." in page_text(client.get(url))


def test_reopening_a_closed_complaint_within_30_days(client, staff, at):
    complaint, url = tracked(staff, Status.CLOSED)
    page = client.get(url)
    assert steps(page) == ["done"] * 5 + ["current"] and "Reopen my complaint" in page_text(page)
    assert post(client, url, "reopen", reason="").status_code == 400
    assert post(client, url, "reopen", reason="The technician was rude again.").status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.INVESTIGATING and complaint.reopened_count == 1


def test_actions_no_longer_possible_answer_409(client, staff, at):
    complaint, url = tracked(staff, Status.PROPOSED)
    # Staff recorded the customer's answer by phone meanwhile.
    complaint_transition(complaint=complaint, action="confirm", actor=staff["agent"], now=T0)
    for form, fields in (("confirm", {}), ("object", {"reason": "No."})):
        response = post(client, url, form, **fields)
        assert response.status_code == 409, form
        assert "This is not possible any more" in page_text(response)
    complaint.refresh_from_db()
    assert complaint.status == Status.CONFIRMED and complaint.objection_count == 0

    closed, closed_url = tracked(staff, Status.CLOSED, owner=factories.customer(phone="13900002222"))
    at(T0 + timedelta(days=31))  # the reopen window is over
    assert "Reopen my complaint" not in page_text(client.get(closed_url))
    assert post(client, closed_url, "reopen", reason="again").status_code == 409
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED


def test_a_linked_complaint_says_which_complaint_handles_the_matter(client, staff, at):
    first, _url = tracked(staff)
    created = complaint_create(customer=first.customer, category=first.category, description="again", now=T0)
    assert created.complaint.status == Status.LINKED
    page = client.get(f"/track/{created.tracking_token}/")
    assert steps(page) == []
    assert "This complaint was added to it, so it is handled there" in page_text(page)
    assert first.number in page_text(page)


def test_a_withdrawn_complaint_says_so(client, staff, at):
    complaint, url = tracked(staff)
    complaint_transition(
        complaint=complaint, action="withdraw", actor=staff["agent"], data={"note": "Solved by phone."}, now=T0
    )
    page = client.get(url)
    assert steps(page) == [] and "This complaint was withdrawn." in page_text(page)
