"""One policy per customer field and role (issue #18 items 5 and 6, 004 §4.3).

A role that sees a field masked sees it masked everywhere — customer directory, case lists, the
admin — and cannot search on it: search answers would confirm guesses of the hidden characters (a
manager narrowed ``139****4321`` to the full number in at most 40 requests).
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from aftersales.core import privacy
from aftersales.core.privacy import Shown, customer_privacy
from aftersales.core.services import customer_create
from tickets.tests import factories

pytestmark = pytest.mark.django_db

PHONE, EMAIL, ADDRESS = "13987654321", "wangfang@example.com", "上海市浦东新区世纪大道 100 号"


@pytest.fixture
def customer():
    return customer_create(name="王芳", phone=PHONE, email=EMAIL, address=ADDRESS)


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


@pytest.fixture
def ticket(staff, customer):
    # Dispatched to the technician, so every role (a technician only for their own) can read it.
    return factories.ticket_in("dispatched", staff=staff, now=timezone.now(), owner=customer)


# --- the declared policy -------------------------------------------------------------------------

# field × role: what each role sees of a customer (004 §4.3: only roles that call or visit see contacts).
EXPECTED = {
    "agent": {"name": "shown", "phone": "shown", "email": "shown", "address": "shown"},
    "technician": {"name": "shown", "phone": "shown", "email": "shown", "address": "shown"},
    "supervisor": {"name": "shown", "phone": "shown", "email": "shown", "address": "shown"},
    "manager": {"name": "shown", "phone": "masked", "email": "masked", "address": "masked"},
    "coordinator": {"name": "shown", "phone": "masked", "email": "masked", "address": "masked"},
}


def test_the_policy_table_per_field_and_role(make_user):
    for role, fields in EXPECTED.items():
        policy = customer_privacy(make_user(role))
        assert {field: str(policy.shows(field)) for field in fields} == fields, role
        for field, shown in fields.items():
            # Searching a field that is not shown in full would reveal it, a guess at a time.
            assert not policy.searchable(field) or shown == "shown", (role, field)
        assert policy.searchable("phone") == policy.searchable("email") == (fields["phone"] == "shown"), role


def test_nobody_without_a_login_sees_anything(customer):
    from django.contrib.auth.models import AnonymousUser

    policy = customer_privacy(AnonymousUser())
    assert {field: policy.shows(field) for field in privacy.CUSTOMER_FIELDS} == dict.fromkeys(
        privacy.CUSTOMER_FIELDS, Shown.HIDDEN
    )
    assert policy.customer(customer) == {
        "id": customer.pk,
        "name": None,
        "phone": None,
        "email": None,
        "address": None,
        "tier": "standard",
        "region": None,
    }


def test_superusers_see_and_search_everything(make_user):
    policy = customer_privacy(make_user(superuser=True))
    assert all(policy.shows(field) == Shown.SHOWN for field in privacy.CUSTOMER_FIELDS)


# --- the customer directory ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "coordinator"])
def test_masked_roles_see_every_contact_field_masked_in_the_customer_detail(api_as, customer, role):
    body = api_as(role).get(f"/api/v1/customers/{customer.pk}/").json()
    assert body["phone"] == "139****4321"
    assert body["email"] == "w***@example.com"
    assert body["address"] == privacy.mask_address(ADDRESS) and "世纪大道" not in body["address"]
    assert body["name"] == "王芳"


@pytest.mark.parametrize("role", ["manager", "coordinator"])
def test_masked_roles_cannot_narrow_a_masked_phone_by_searching(api_as, customer, role):
    customer_create(name="李雷", phone="13987654322")
    client = api_as(role)
    # The attack: a prefix a digit longer each time until one customer is left.
    for length in range(3, len(PHONE) + 1):
        response = client.get("/api/v1/customers/", {"search": PHONE[:length]})
        assert response.status_code == 200
        assert response.json()["results"] == [], PHONE[:length]
    for search in (PHONE[-4:], "139 8765 4321", "+8613987654321"):
        assert client.get("/api/v1/customers/", {"search": search}).json()["results"] == []


@pytest.mark.parametrize("role", ["manager", "coordinator"])
def test_masked_roles_cannot_confirm_an_email_or_address_by_searching(api_as, customer, role):
    client = api_as(role)
    for search in (EMAIL, EMAIL.upper(), "世纪大道"):
        assert client.get("/api/v1/customers/", {"search": search}).json()["results"] == [], search
    # What they do see, they may search.
    assert [row["name"] for row in client.get("/api/v1/customers/", {"search": "王"}).json()["results"]] == ["王芳"]


@pytest.mark.parametrize("search", [PHONE, PHONE[:7], PHONE[-4:], EMAIL])
def test_contact_roles_still_search_by_phone_and_email(api_as, customer, search):
    results = api_as("agent").get("/api/v1/customers/", {"search": search}).json()["results"]
    assert [row["phone"] for row in results] == [PHONE]


def test_customer_list_selector_follows_the_policy(make_user, customer):
    from aftersales.core.selectors import customer_list

    assert list(customer_list(search=PHONE[:8], user=make_user("manager"))) == []
    assert list(customer_list(search=PHONE[:8], user=make_user("agent"))) == [customer]


# --- the same customer wherever it is shown --------------------------------------------------------


@pytest.mark.parametrize("role", list(EXPECTED))
def test_a_customer_reads_the_same_in_the_directory_and_in_a_ticket(api_client, staff, ticket, customer, role):
    api_client.force_authenticate(staff[role])
    in_directory = api_client.get(f"/api/v1/customers/{customer.pk}/").json()
    in_ticket = api_client.get(f"/api/v1/tickets/{ticket.number}/").json()["customer"]
    for field in ("name", "phone", "email", "address"):
        assert in_ticket[field] == in_directory[field], (role, field)
    shown = EXPECTED[role]
    assert (in_ticket["phone"] == PHONE) == (shown["phone"] == "shown")
    assert (in_ticket["email"] == EMAIL) == (shown["email"] == "shown")


@pytest.mark.parametrize("role", ["manager", "coordinator"])
def test_masked_roles_cannot_find_cases_by_phone(api_client, staff, ticket, role):
    api_client.force_authenticate(staff[role])
    for search in (PHONE, PHONE[:7], PHONE[-4:]):
        assert api_client.get("/api/v1/tickets/", {"search": search}).json()["results"] == [], search
    api_client.force_authenticate(staff["agent"])
    assert [row["number"] for row in api_client.get("/api/v1/tickets/", {"search": PHONE[-4:]}).json()["results"]] == [
        ticket.number
    ]


# --- the admin -------------------------------------------------------------------------------------


def test_the_customer_admin_masks_and_does_not_search_what_a_manager_may_not_see(client, make_user, customer):
    client.force_login(make_user("manager"))
    listing = client.get("/admin/core/customer/").content.decode()
    assert "王芳" in listing
    for secret in (PHONE, EMAIL, ADDRESS):
        assert secret not in listing
    assert "w***@example.com" in listing
    for search in (PHONE[:6], PHONE[-4:], "wangfang", "example.com", "世纪"):
        assert client.get("/admin/core/customer/", {"q": search}).context["cl"].result_count == 0, search
    change = client.get(f"/admin/core/customer/{customer.pk}/change/").content.decode()
    for secret in (PHONE, EMAIL, ADDRESS):
        assert secret not in change


def test_the_customer_admin_shows_and_searches_everything_for_an_agent(client, make_user, customer):
    client.force_login(make_user("agent"))
    for search in (PHONE[:6], "wangfang", "王"):
        assert client.get("/admin/core/customer/", {"q": search}).context["cl"].result_count == 1, search
    assert EMAIL in client.get("/admin/core/customer/").content.decode()


def test_the_case_admin_does_not_search_phones_for_a_manager(client, staff, ticket):
    client.force_login(staff["manager"])
    for search in (PHONE, PHONE[-4:], "139 8765 4321"):
        assert client.get("/admin/tickets/ticket/", {"q": search}).context["cl"].result_count == 0, search
    client.force_login(staff["supervisor"])
    for search in (PHONE[-4:], "139 8765 4321"):
        assert client.get("/admin/tickets/ticket/", {"q": search}).context["cl"].result_count == 1, search
