"""The right contact (issue 14 item 2): a request or complaint keeps the contact typed with it, every
message about it goes there — never to the details of the existing customer its phone matched —
staff see the match and may correct the customer, phone numbers are real mobile numbers, and the
thanks page says where the link really went."""

import re
import uuid

import pytest
from django.core.exceptions import PermissionDenied
from rest_framework.test import APIClient

from aftersales.core import cases
from aftersales.core.models import Customer, OutboxMessage
from aftersales.core.services import customer_create
from complaints.cases import COMPLAINTS
from complaints.models import Complaint
from conftest import shanghai
from tickets.cases import TICKETS
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_transition
from tickets.tests import factories

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 23, 10)
ZHAO_PHONE = "13800138001"


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture(autouse=True)
def at(time_machine):
    time_machine.move_to(T0, tick=False)


@pytest.fixture
def client(client):
    client.defaults["REMOTE_ADDR"] = "10.7." + ".".join(str(uuid.uuid4().int % 250) for _ in range(2))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def zhao():
    return customer_create(name="赵敏", phone=ZHAO_PHONE, email="zhaomin@example.com", language="zh-hans")


def request_as_lina(client, phone="138 0013 8001", email="lina@example.com"):
    return client.post(
        "/request/",
        {
            "ticket_type": "repair",
            "name": "李娜",
            "phone": phone,
            "email": email,
            "description": "空调不制冷",
        },
    )


def test_a_request_matched_by_phone_keeps_the_typed_contact_and_mails_it(client, zhao):
    response = request_as_lina(client)

    assert response.status_code == 302, response.content
    ticket = Ticket.objects.get()
    assert ticket.customer == zhao  # matched by phone, her record untouched
    assert (ticket.contact_name, ticket.contact_phone, ticket.contact_email) == ("李娜", ZHAO_PHONE, "lina@example.com")
    assert ticket.contact_language == "en"
    zhao.refresh_from_db()
    assert (zhao.name, zhao.email) == ("赵敏", "zhaomin@example.com")
    messages = OutboxMessage.objects.filter(template="ticket_created")
    assert sorted(messages.values_list("channel", "recipient", "language")) == [
        ("email", "lina@example.com", "en"),
        ("sms", ZHAO_PHONE, "en"),
    ]
    assert not OutboxMessage.objects.filter(recipient="zhaomin@example.com").exists()


def test_later_messages_go_to_the_typed_contact_too(client, zhao, make_user):
    request_as_lina(client)
    ticket = Ticket.objects.get()
    staff = factories.staff(make_user)
    for action, role, data in factories.REPAIR_PATH:
        data = {**data, "technician": staff["technician"].username} if action == "dispatch" else data
        ticket = ticket_transition(ticket=ticket, action=action, actor=staff[role], data=data, now=T0)

    resolved = OutboxMessage.objects.filter(template="ticket_resolved")
    assert sorted(resolved.values_list("channel", "recipient")) == [("email", "lina@example.com"), ("sms", ZHAO_PHONE)]
    assert not OutboxMessage.objects.filter(recipient="zhaomin@example.com").exists()


def test_no_typed_email_means_no_email_to_the_matched_customer(client, zhao):
    request_as_lina(client, email="")

    assert list(OutboxMessage.objects.values_list("channel", "recipient")) == [("sms", ZHAO_PHONE)]


def test_a_complaint_matched_by_phone_keeps_the_typed_contact(client, zhao):
    response = client.post(
        "/complaint/",
        {
            "category": "service.attitude",
            "name": "李娜",
            "phone": ZHAO_PHONE,
            "email": "lina@example.com",
            "description": "态度差",
        },
    )

    assert response.status_code == 302, response.content
    complaint = Complaint.objects.get()
    assert complaint.customer == zhao
    assert (complaint.contact_name, complaint.contact_email) == ("李娜", "lina@example.com")
    received = OutboxMessage.objects.filter(template__in=["complaint_received", "complaint_linked"])
    assert sorted(received.values_list("recipient", flat=True)) == [ZHAO_PHONE, "lina@example.com"]
    assert not OutboxMessage.objects.filter(recipient="zhaomin@example.com").exists()


def test_the_public_api_keeps_the_typed_contact(zhao):
    response = APIClient().post(
        "/api/v1/public/requests/",
        {"type": "repair", "name": "李娜", "phone": ZHAO_PHONE, "email": "lina@example.com", "description": "漏水"},
        format="json",
    )

    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(number=response.json()["number"])
    assert ticket.customer == zhao and ticket.contact_email == "lina@example.com"
    assert not OutboxMessage.objects.filter(recipient="zhaomin@example.com").exists()


def test_the_thanks_page_says_where_the_link_was_sent(client, zhao):
    response = client.get(request_as_lina(client)["Location"])

    text = page_text(response)
    assert "We are sending the same link by SMS to 138****8001 and by email to l***@example.com." in text
    assert "zhaomin" not in text and "z***" not in text
    assert 'data-copy="tracking-url"' in response.content.decode()


def test_the_thanks_page_without_email_mentions_sms_only(client):
    response = client.get(request_as_lina(client, phone="13912345678", email="")["Location"])

    assert "We are sending the same link by SMS to 139****5678." in page_text(response)


# --- phone numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["12345", "138 0013 8000 999999", "010 6552 9988", "+44 7700 900000x"])
def test_the_form_refuses_what_is_not_a_mobile_number(client, phone):
    response = request_as_lina(client, phone=phone)

    assert response.status_code == 400
    assert "Enter a valid mobile number" in page_text(response)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("phone", ["12345", "138 0013 8000 999999"])
def test_the_api_refuses_what_is_not_a_mobile_number(phone):
    response = APIClient().post(
        "/api/v1/public/requests/",
        {"type": "repair", "name": "李娜", "phone": phone, "description": "漏水"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] and body["detail"]
    assert "Enter a valid mobile number" in str(body["phone"])
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("138 0013 8000", "13800138000"), ("+86 138-0013-8000", "13800138000"), ("+852 5123 4567", "+85251234567")],
)
def test_mobile_numbers_are_stored_the_way_customers_are_found(client, typed, stored):
    request_as_lina(client, phone=typed)

    ticket = Ticket.objects.get()
    assert ticket.contact_phone == stored == ticket.customer.phone


# --- staff see the match and correct the customer ----------------------------------------------------


def test_the_admin_shows_the_match_and_the_typed_contact(client, zhao, make_user, settings):
    settings.LANGUAGE_CODE = "en"
    request_as_lina(client)
    ticket = Ticket.objects.get()
    agent = make_user("agent")
    client.force_login(agent)

    text = page_text(client.get(f"/admin/tickets/ticket/{ticket.pk}/change/", HTTP_ACCEPT_LANGUAGE="en"))

    assert (
        "Matched to existing customer 赵敏 by phone — contact typed: 李娜, 13800138001, lina@example.com. "
        "Messages go to the contact typed." in text
    )
    assert "Correct the customer" in text


def test_a_manager_sees_the_typed_contact_masked(client, zhao, make_user, settings):
    settings.LANGUAGE_CODE = "en"
    request_as_lina(client)
    ticket = Ticket.objects.get()
    client.force_login(make_user("manager"))

    text = page_text(client.get(f"/admin/tickets/ticket/{ticket.pk}/change/", HTTP_ACCEPT_LANGUAGE="en"))

    assert "contact typed: 李娜, 138****8001, l***@example.com" in text
    assert "lina@example.com" not in text


def test_staff_correct_the_customer_of_a_wrong_match(client, zhao, make_user, settings):
    settings.LANGUAGE_CODE = "en"
    request_as_lina(client)
    ticket = Ticket.objects.get()
    lina = customer_create(name="李娜", phone="13900000001", email="lina@example.com")
    client.force_login(make_user("agent"))

    response = client.post(f"/admin/tickets/ticket/{ticket.pk}/customer/", {"customer": lina.pk})

    assert response.status_code == 302, page_text(response)
    ticket.refresh_from_db()
    assert ticket.customer == lina
    event = TicketEvent.objects.get(ticket=ticket, action="customer_corrected")
    assert event.data == {"from_customer": zhao.pk, "to_customer": lina.pk}
    assert event.public is False


def test_correcting_the_customer_is_refused_to_who_may_not(zhao, make_user, client):
    request_as_lina(client)
    ticket, other = Ticket.objects.get(), Customer.objects.create(name="x", phone="13900000002")
    with pytest.raises(PermissionDenied):
        cases.case_customer_correct(TICKETS, ticket, customer=other, actor=make_user("manager"))
    client.force_login(make_user("manager"))
    assert client.post(f"/admin/tickets/ticket/{ticket.pk}/customer/", {"customer": other.pk}).status_code == 403
    ticket.refresh_from_db()
    assert ticket.customer == zhao


def test_a_case_staff_registered_messages_its_customer(zhao, make_user):
    ticket = factories.ticket_in("acknowledged", staff=factories.staff(make_user), now=T0, owner=zhao)

    assert ticket.contact_phone == ""
    assert cases.case_contact(ticket).email == "zhaomin@example.com"
    assert not cases.contact_mismatch(ticket)
    assert sorted(OutboxMessage.objects.filter(template="ticket_created").values_list("recipient", flat=True)) == [
        ZHAO_PHONE,
        "zhaomin@example.com",
    ]


def test_a_complaint_can_be_corrected_too(client, zhao, make_user):
    client.post(
        "/complaint/",
        {"category": "service.attitude", "name": "李娜", "phone": ZHAO_PHONE, "description": "态度差"},
    )
    complaint = Complaint.objects.get()
    other = customer_create(name="李娜", phone="13900000003")

    corrected = cases.case_customer_correct(COMPLAINTS, complaint, customer=other, actor=make_user(superuser=True))

    assert corrected.customer == other
    assert corrected.events.filter(action="customer_corrected").exists()
