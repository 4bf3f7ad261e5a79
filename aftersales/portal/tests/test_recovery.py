"""A lost link recovered (issue 14 item 3): number + phone or email → a new link to the contact on file
through the outbox, never on screen; the same answer whether or not the pair matches; 429 per
address, per number and per phone/email; the hotline shown where the portal says "call us"."""

import re
import uuid

import pytest
from django.core.cache import cache
from django.test import override_settings

from aftersales.core.models import OutboxMessage
from aftersales.core.services import customer_create
from conftest import shanghai
from tickets.models import Ticket

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 23, 10)
URL = "/track/lost/"


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def address() -> str:
    return "10.8." + ".".join(str(uuid.uuid4().int % 250) for _ in range(2))


@pytest.fixture(autouse=True)
def at(time_machine):
    time_machine.move_to(T0, tick=False)


@pytest.fixture(autouse=True)
def fresh_limits():
    # Case numbers repeat from test to test (each starts from an empty database) while the per-number
    # counts live in Redis: start each test with none.
    cache.clear()


@pytest.fixture
def client(client):
    client.defaults["REMOTE_ADDR"] = address()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def ticket(client):
    customer_create(name="赵敏", phone="13800138001", email="zhaomin@example.com")
    client.post(
        "/request/",
        {
            "ticket_type": "repair",
            "name": "李娜",
            "phone": "13800138001",
            "email": "lina@example.com",
            "description": "不制冷",
        },
    )
    client.defaults["REMOTE_ADDR"] = address()  # the form's own limit is another matter
    return Ticket.objects.get()


def resent():
    return OutboxMessage.objects.filter(template="tracking_link_resent")


@pytest.mark.parametrize("contact", ["138 0013 8001", "+86 138-0013-8001", "LINA@example.com"])
def test_a_matching_pair_sends_a_new_link_to_the_contact_on_file(client, ticket, contact):
    response = client.post(URL, {"number": ticket.number.lower(), "contact": contact})

    assert response.status_code == 200
    assert sorted(resent().values_list("channel", "recipient")) == [
        ("email", "lina@example.com"),
        ("sms", "13800138001"),
    ]
    message = resent().first()
    assert message.tracking_object_id == ticket.pk  # the link is minted at delivery, not stored
    assert not re.search(r"/track/(?!lost/)[\w-]{20,}", response.content.decode())  # never on screen


def test_the_answer_is_the_same_whether_or_not_the_pair_matches(client, ticket):
    matched = client.post(URL, {"number": ticket.number, "contact": "lina@example.com"})
    wrong_contact = client.post(URL, {"number": ticket.number, "contact": "zhaomin@example.com"})
    unknown_number = client.post(URL, {"number": "T2099010100001", "contact": "lina@example.com"})

    assert matched.status_code == wrong_contact.status_code == unknown_number.status_code == 200

    def visible(response):
        return page_text(response).replace(response.wsgi_request.POST["number"], "")

    assert visible(matched) == visible(wrong_contact) == visible(unknown_number)
    assert "If the number and the contact details match" in page_text(matched)
    # The matched customer's own email is not the case's contact: nothing was sent for it.
    assert resent().count() == 2


@override_settings(LINK_RECOVERY_RATE_LIMIT="3/hour")
def test_limited_per_number_from_many_addresses(client, ticket):
    for _ in range(3):
        client.defaults["REMOTE_ADDR"] = address()
        assert client.post(URL, {"number": ticket.number, "contact": f"{uuid.uuid4().hex}@x.cn"}).status_code == 200

    client.defaults["REMOTE_ADDR"] = address()
    response = client.post(URL, {"number": ticket.number, "contact": "lina@example.com"})

    assert response.status_code == 429
    assert response["Retry-After"]
    assert not resent().exists()


@override_settings(LINK_RECOVERY_RATE_LIMIT="3/hour")
def test_limited_per_phone_or_email_across_numbers(client, ticket):
    for index in range(3):
        client.defaults["REMOTE_ADDR"] = address()
        client.post(URL, {"number": f"T20991231{index:05d}", "contact": "13800138001"})

    client.defaults["REMOTE_ADDR"] = address()
    assert client.post(URL, {"number": ticket.number, "contact": "13800138001"}).status_code == 429


@override_settings(LINK_RECOVERY_RATE_LIMIT="3/hour")
def test_limited_per_address(client, ticket):
    for index in range(3):
        client.post(URL, {"number": f"T20991231{index:05d}", "contact": f"{index}@x.cn"})

    assert client.post(URL, {"number": ticket.number, "contact": "lina@example.com"}).status_code == 429


def test_empty_fields_are_a_400_with_the_form(client):
    response = client.post(URL, {"number": "", "contact": ""})

    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()


def test_the_way_back_is_offered_where_a_link_is_missing(client, settings):
    settings.SERVICE_HOTLINE = "400-123-4567"
    home = client.get("/").content.decode()
    not_found = client.get("/track/" + "x" * 43 + "/")

    assert 'href="/track/lost/"' in home
    assert not_found.status_code == 404
    assert 'href="/track/lost/"' in not_found.content.decode()
    assert "Call us: 400-123-4567" in page_text(not_found)
    assert 'href="tel:400-123-4567"' in not_found.content.decode()


def test_the_thanks_page_offers_recovery(client):
    response = client.post(
        "/request/", {"ticket_type": "repair", "name": "王", "phone": "13912345678", "description": "坏了"}
    )

    assert 'href="/track/lost/"' in client.get(response["Location"]).content.decode()
