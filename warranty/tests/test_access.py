"""Who may reach which warranty record, in the API and the admin (issue #18 items 3 and 4).

- A quote is seen by whoever may see the ticket that uses it: a technician only the quotes of the
  tickets assigned to them, the roles that see every ticket every quote. Nobody on the staff side
  answers a quote for the customer through the warranty app: the customer answers on the ticket's
  tracking link (or staff record a phone answer with the ticket's own action), so the ticket and its
  quote move together.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from rest_framework.test import APIClient

from conftest import SHANGHAI
from tickets.choices import Status
from tickets.services import ticket_create, ticket_transition
from tickets.tests import factories
from warranty.choices import QuoteStatus
from warranty.models import Quote
from warranty.services import PartLine, quote_create, warranty_decide, warranty_decision_record

pytestmark = pytest.mark.django_db

API = "/api/v1/warranty"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=SHANGHAI)
QUOTE = {"parts": [{"part_number": "AC-PCB-01", "unit_price": "260"}], "labour_hours": "1"}


@pytest.fixture
def staff(make_user, calendars):
    return factories.staff(make_user)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def quoted_ticket(staff: dict, serial: str, *, dispatch_to=None):
    """A repair out of warranty with a quote sent; accepted and dispatched when ``dispatch_to`` is given."""
    owner = factories.customer(phone=f"139{abs(hash(serial)) % 10**8:08d}")
    unit = factories.unit(serial=serial, purchase_date=date(2020, 3, 1), owner=owner)
    created = ticket_create(
        customer=owner, ticket_type="repair", description="不制冷", unit=unit, actor=staff["agent"], now=NOW
    )
    ticket = created.ticket
    for action, data in (("acknowledge", {}), ("diagnose", {"fault_cause": "liquid"}), ("request_quote", QUOTE)):
        ticket = ticket_transition(ticket=ticket, action=action, actor=staff["agent"], data=data, now=NOW)
    if dispatch_to is not None:
        ticket = ticket_transition(ticket=ticket, action="approve_quote", by_customer=True, now=NOW)
        ticket = ticket_transition(
            ticket=ticket, action="dispatch", actor=staff["supervisor"], data={"technician": dispatch_to.username}
        )
    return created.tracking_token, ticket


@pytest.fixture
def quotes(staff, make_user):
    """The technician's own ticket's quote, a colleague's, one awaiting the customer and one of no ticket."""
    colleague = factories.technician(make_user)
    _, own = quoted_ticket(staff, "QA-OWN", dispatch_to=staff["technician"])
    _, theirs = quoted_ticket(staff, "QA-THEIRS", dispatch_to=colleague)
    _, waiting = quoted_ticket(staff, "QA-WAITING")
    decision = warranty_decision_record(decision=warranty_decide(unit=own.unit, on_date=date(2026, 11, 24)))
    loose = quote_create(decision=decision, parts=[PartLine("P", "part", 1, 10)], labour_hours=1)
    return {"own": own.quote, "theirs": theirs.quote, "waiting": waiting.quote, "loose": loose}


def test_a_technician_reads_only_the_quotes_of_the_tickets_assigned_to_them(staff, quotes):
    client = client_for(staff["technician"])

    listed = {row["id"] for row in client.get(f"{API}/quotes/").json()["results"]}
    assert listed == {quotes["own"].pk}
    assert client.get(f"{API}/quotes/{quotes['own'].pk}/").status_code == 200
    never_issued = client.get(f"{API}/quotes/999999/")
    for other in ("theirs", "waiting", "loose"):
        response = client.get(f"{API}/quotes/{quotes[other].pk}/")
        # Exactly the answer for a quote that does not exist.
        assert (response.status_code, response.json()) == (404, never_issued.json())


@pytest.mark.parametrize("role", ["agent", "supervisor", "manager"])
def test_roles_that_see_every_ticket_see_every_quote(staff, quotes, role):
    listed = {row["id"] for row in client_for(staff[role]).get(f"{API}/quotes/").json()["results"]}

    assert listed == {quote.pk for quote in quotes.values()}


@pytest.mark.parametrize("role", ["agent", "technician", "supervisor"])
def test_no_staff_endpoint_answers_a_quote_behind_the_tickets_back(staff, quotes, role):
    quote = quotes["own"] if role == "technician" else quotes["waiting"]
    Quote.objects.filter(pk=quote.pk).update(status=QuoteStatus.PENDING)  # as if still waiting

    response = client_for(staff[role]).post(f"{API}/quotes/{quote.pk}/respond/", {"accepted": True}, format="json")

    assert response.status_code in (404, 405)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.PENDING


def test_the_customer_still_answers_after_a_staff_attempt(staff, make_user):
    token, ticket = quoted_ticket(staff, "QA-STUCK")
    client_for(staff["agent"]).post(f"{API}/quotes/{ticket.quote_id}/respond/", {"accepted": True}, format="json")

    # Before the fix the quote was accepted behind the ticket's back and this answered 409.
    response = APIClient().post(f"/api/v1/public/track/{token}/approve-quote/", {}, format="json")

    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    assert (ticket.status, ticket.quote.status) == (Status.DIAGNOSING, QuoteStatus.ACCEPTED)


# --- the admin ------------------------------------------------------------------------------


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:warranty_{name}", args=args)


def test_the_quote_admin_shows_a_technician_only_their_tickets_quotes(client, staff, quotes):
    client.force_login(staff["technician"])

    listed = client.get(admin_url("quote_changelist")).context["cl"].result_list
    assert [quote.pk for quote in listed] == [quotes["own"].pk]
    assert client.get(admin_url("quote_change", quotes["own"].pk)).status_code == 200
    # An object the user may not see: the admin's "does not exist" redirect, like a wrong id.
    response = client.get(admin_url("quote_change", quotes["theirs"].pk))
    assert response.status_code == 302 and response.url == reverse("admin:index")


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_the_quote_admin_records_no_answer_for_the_customer(client, staff, quotes, role):
    client.force_login(staff[role])
    page = client.get(admin_url("quote_changelist")).content.decode()

    response = client.post(
        admin_url("quote_changelist"),
        {"action": "record_acceptance", ACTION_CHECKBOX_NAME: [quotes["waiting"].pk], "index": 0},
        follow=True,
    )

    assert "record_acceptance" not in page and "record_decline" not in page
    assert response.status_code == 200
    quotes["waiting"].refresh_from_db()
    assert quotes["waiting"].status == QuoteStatus.PENDING


# --- unit owners ------------------------------------------------------------------------------


@pytest.fixture
def owners(staff, make_user):
    """A unit of the technician's own ticket's customer, one of a colleague's ticket's, one of nobody's ticket."""
    colleague = factories.technician(make_user)
    own_customer = factories.customer(name="王芳", phone="13900000011")
    stranger = factories.customer(name="李雷", phone="13900000022")
    other = factories.customer(name="韩梅", phone="13900000033")
    units = {
        "own": factories.unit(serial="OWN-1", owner=own_customer),
        "colleague": factories.unit(serial="THEIRS-1", owner=other),
        "stranger": factories.unit(serial="STRANGER-1", owner=stranger),
    }
    for unit, technician in ((units["own"], staff["technician"]), (units["colleague"], colleague)):
        ticket = ticket_create(
            customer=unit.customer, ticket_type="repair", description="漏水", unit=unit, actor=staff["agent"], now=NOW
        ).ticket
        factories_path = [("acknowledge", {}), ("diagnose", {}), ("dispatch", {"technician": technician.username})]
        for action, data in factories_path:
            actor = staff["supervisor"] if action == "dispatch" else staff["agent"]
            ticket = ticket_transition(ticket=ticket, action=action, actor=actor, data=data, now=NOW)
    return units


HIDDEN_OWNERS = ("colleague", "stranger")


def test_a_technician_sees_the_owner_only_of_units_whose_customer_they_may_see(staff, owners):
    client = client_for(staff["technician"])

    own = client.get(f"{API}/units/OWN-1/").json()
    assert own["customer"] == {"id": owners["own"].customer_id, "name": "王芳", "phone": "13900000011"}
    rows = {row["serial"]: row for row in client.get(f"{API}/units/").json()["results"]}
    assert rows["OWN-1"]["customer"] == own["customer"]
    for name in HIDDEN_OWNERS:
        unit = owners[name]
        detail = client.get(f"{API}/units/{unit.serial}/")
        assert detail.status_code == 200  # the unit and its warranty are not secret, its owner is
        assert detail.json()["customer"] is None and rows[unit.serial]["customer"] is None
        for secret in (unit.customer.name, unit.customer.phone, unit.customer.phone[-4:]):
            assert secret not in detail.content.decode()


def test_a_technician_finds_units_by_phone_or_customer_only_among_the_customers_they_may_see(staff, owners):
    client = client_for(staff["technician"])

    def found(**params) -> list[str]:
        response = client.get(f"{API}/units/", params)
        assert response.status_code == 200, response.content
        return [row["serial"] for row in response.json()["results"]]

    assert found(search="13900000011") == ["OWN-1"]
    assert found(customer=owners["own"].customer_id) == ["OWN-1"]
    for name in HIDDEN_OWNERS:
        customer = owners[name].customer
        assert found(search=customer.phone) == []
        assert found(search=customer.phone[-6:]) == []
        assert found(customer=customer.pk) == []


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_the_service_desk_sees_and_finds_every_owner(staff, owners, role):
    client = client_for(staff[role])

    for unit in owners.values():
        body = client.get(f"{API}/units/{unit.serial}/").json()
        assert body["customer"]["phone"] == unit.customer.phone
        by_phone = client.get(f"{API}/units/", {"search": unit.customer.phone}).json()["results"]
        assert [row["serial"] for row in by_phone] == [unit.serial]


@pytest.mark.parametrize("role", ["manager", "coordinator"])
def test_roles_that_see_masked_phones_see_every_owner_masked_and_cannot_search_by_phone(staff, owners, role):
    client = client_for(staff[role])

    for unit in owners.values():
        body = client.get(f"{API}/units/{unit.serial}/").json()
        assert body["customer"]["name"] == unit.customer.name
        assert body["customer"]["phone"] == unit.customer.phone[:3] + "****" + unit.customer.phone[-4:]
        assert client.get(f"{API}/units/", {"search": unit.customer.phone}).json()["results"] == []
        assert client.get(f"{API}/units/", {"search": unit.customer.phone[-4:]}).json()["results"] == []


def test_the_unit_admin_shows_and_finds_owners_by_the_same_rule(client, staff, owners):
    client.force_login(staff["technician"])

    page = client.get(admin_url("registeredunit_changelist")).content.decode()
    assert "王芳" in page and "13900000011" in page
    for name in HIDDEN_OWNERS:
        customer = owners[name].customer
        assert customer.name not in page and customer.phone not in page
        found = client.get(admin_url("registeredunit_changelist"), {"q": customer.phone}).context["cl"].result_list
        assert list(found) == []
        detail = client.get(admin_url("registeredunit_change", owners[name].pk))
        assert detail.status_code == 200
        assert customer.name not in detail.content.decode() and customer.phone not in detail.content.decode()
        # A hand-made filter on the owner would list a hidden customer's units: refused.
        assert client.get(admin_url("registeredunit_changelist"), {"customer": customer.pk}).status_code == 400
    found = client.get(admin_url("registeredunit_changelist"), {"q": "13900000011"}).context["cl"].result_list
    assert [unit.serial for unit in found] == ["OWN-1"]
    assert "王芳" in client.get(admin_url("registeredunit_change", owners["own"].pk)).content.decode()
