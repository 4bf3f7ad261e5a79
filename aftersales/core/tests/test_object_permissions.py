"""Object-level permissions on every object endpoint of the API (issue #6).

Someone else's object answers 404, exactly like an object that does not exist, so nobody learns
which numbers, tokens or customers exist. The operations are read from the OpenAPI schema, so a new
operation on these resources (a new ticket action, a new tracking action) is covered automatically.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from aftersales.core.models import TrackingLink
from aftersales.core.services import customer_create
from aftersales.core.tracking import tracking_token_hash
from tickets.choices import Status
from tickets.services import ticket_create
from tickets.tests import factories

pytestmark = pytest.mark.django_db

_PATHS = SchemaGenerator().get_schema(request=None, public=True)["paths"]


def operations(prefix: str, parameter: str) -> list[tuple[str, str]]:
    found = [
        (method.upper(), path)
        for path, methods in _PATHS.items()
        if path.startswith(prefix) and f"{{{parameter}}}" in path
        for method in methods
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert found, f"no operation under {prefix} with {{{parameter}}}"
    return found


TICKET_OPERATIONS = operations("/api/v1/tickets/", "number")
TRACKING_OPERATIONS = operations("/api/v1/public/track/", "token")


def fill(path: str, **values: str) -> str:
    """The path with the given parameters, and any other parameter (a sub-object's id) as 1."""
    for name, value in values.items():
        path = path.replace(f"{{{name}}}", value)
    return re.sub(r"\{[^}]+\}", "1", path)


def call(client: APIClient, method: str, url: str):
    return getattr(client, method.lower())(url, {}, format="json") if method != "GET" else client.get(url)


def assert_not_found(response):
    assert response.status_code == 404, (response.status_code, response.content[:300])
    body = response.json()
    assert body["code"] == "not_found" and body["detail"]


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize(("method", "path"), TICKET_OPERATIONS)
def test_a_technician_gets_404_for_every_operation_on_a_colleagues_ticket(staff, make_user, method, path):
    colleague = factories.technician(make_user)
    theirs = factories.ticket_in(Status.DISPATCHED, staff={**staff, "technician": colleague}, now=timezone.now())
    own = factories.ticket_in(Status.DISPATCHED, staff=staff, now=timezone.now())
    client = client_for(staff["technician"])

    response = call(client, method, fill(path, number=theirs.number))
    never_issued = call(client, method, fill(path, number="T2099010100001"))
    # Exactly the answer for a number that was never issued: 404, or the 403 of an action their
    # role may not take on any ticket (dispatching) — either way nothing about this ticket.
    assert (response.status_code, response.json()) == (never_issued.status_code, never_issued.json())
    if response.status_code != 403:
        assert_not_found(response)
        if path.count("{") == 1:
            # The same operation on their own ticket is not a 404: the ticket exists for them.
            assert call(client, method, fill(path, number=own.number)).status_code != 404


def test_an_attachment_is_reachable_only_through_its_own_ticket(staff, make_user):
    from tickets.services import ticket_attach

    colleague = factories.technician(make_user)
    theirs = factories.ticket_in(Status.DISPATCHED, staff={**staff, "technician": colleague}, now=timezone.now())
    own = factories.ticket_in(Status.DISPATCHED, staff=staff, now=timezone.now())
    png = SimpleUploadedFile("fault.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")
    attachment = ticket_attach(theirs, png, by_customer=True)
    client = client_for(staff["technician"])

    for ticket in (own, theirs):  # another ticket's file through my ticket's number, or theirs directly
        assert_not_found(client.get(f"/api/v1/tickets/{ticket.number}/attachments/{attachment.pk}/"))
    assert client_for(colleague).get(f"/api/v1/tickets/{theirs.number}/attachments/{attachment.pk}/").status_code == 200


@pytest.mark.parametrize(("method", "path"), TICKET_OPERATIONS)
def test_staff_without_ticket_access_get_404_or_403_never_the_ticket(staff, method, path):
    ticket = factories.ticket_in(Status.ACKNOWLEDGED, staff=staff, now=timezone.now())
    response = call(client_for(staff["nobody"]), method, fill(path, number=ticket.number))
    assert response.status_code in (403, 404)
    assert ticket.number not in response.content.decode()


@pytest.mark.parametrize(("method", "path"), TRACKING_OPERATIONS)
def test_wrong_tracking_tokens_get_404_for_every_tracking_operation(staff, method, path):
    owner = factories.customer()
    created = ticket_create(
        customer=owner, ticket_type="repair", priority="normal", description="不制冷", actor=staff["agent"]
    )
    token, ticket = created.tracking_token, created.ticket
    anonymous = APIClient()
    wrong_tokens = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # one character off
        token.upper() if token.upper() != token else token.lower(),  # case changed
        ticket.number,  # the number printed on paper is not the key
        TrackingLink.objects.get(token_hash=tracking_token_hash(token)).token_hash,  # nor the stored hash
    ]
    for wrong in wrong_tokens:
        assert_not_found(call(anonymous, method, fill(path, token=wrong)))
    assert anonymous.get(f"/api/v1/public/track/{token}/").status_code == 200


def test_a_technician_sees_only_the_customers_of_their_own_tickets(staff, make_user):
    colleague = factories.technician(make_user)
    theirs = factories.ticket_in(
        Status.DISPATCHED,
        staff={**staff, "technician": colleague},
        now=timezone.now(),
        owner=customer_create(name="王五", phone="13900000002"),
    )
    own = factories.ticket_in(Status.DISPATCHED, staff=staff, now=timezone.now())
    stranger = customer_create(name="李四", phone="13900000003")  # no ticket at all
    client = client_for(staff["technician"])

    listed = {row["id"] for row in client.get("/api/v1/customers/").json()["results"]}
    assert listed == {own.customer_id}
    assert client.get(f"/api/v1/customers/{own.customer_id}/").status_code == 200
    for customer_id in (theirs.customer_id, stranger.pk):
        assert_not_found(client.get(f"/api/v1/customers/{customer_id}/"))
    # The service desk still sees every customer.
    desk = {row["id"] for row in client_for(staff["agent"]).get("/api/v1/customers/").json()["results"]}
    assert {own.customer_id, theirs.customer_id, stranger.pk} <= desk
