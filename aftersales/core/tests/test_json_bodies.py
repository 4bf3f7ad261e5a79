"""Every write operation of the API refuses a JSON body that is not an object (issue #18 item 7).

A view that reads ``request.data`` as a mapping (``.items()``, ``.get``, ``dict(...)``) answered
``[]``, ``null``, ``false``, ``0`` or ``"AAA"`` with a 500. The JSON parser refuses them for the
whole API; this test sends each of them to every POST, PUT and PATCH operation of the OpenAPI
schema, with every path parameter naming an object that exists (so the body is really read), and
expects the 400 of the error shape. A new operation is covered without touching this file; a new
kind of path parameter needs a value in ``path_values``.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from complaints.models import BreachReport
from complaints.services import corrective_action_add
from complaints.tests import factories as complaint_factories
from emergency.services import incident_create
from parts.models import WarehouseTier
from parts.services import reservation_create, stock_move, stock_transfer_send
from parts.tests import factories as parts_factories
from tickets.services import ticket_create
from tickets.tests import factories
from warranty.services import (
    PartLine,
    quote_create,
    special_replacement_request,
    warranty_decide,
    warranty_decision_record,
)

pytestmark = pytest.mark.django_db

_PATHS = SchemaGenerator().get_schema(request=None, public=True)["paths"]
WRITE_OPERATIONS = [
    (method.upper(), path, operation)
    for path, methods in _PATHS.items()
    for method, operation in methods.items()
    if method in {"post", "put", "patch"}
]
NOT_OBJECTS = ["[]", "[{}]", "null", "false", "true", "0", "-1.5", '"AAA"']


def takes_json(operation) -> bool:
    """Bodiless actions (``confirm``) and uploads take JSON too: DRF reads an empty-or-JSON body."""
    content = operation.get("requestBody", {}).get("content", {})
    return not content or "application/json" in content


@pytest.fixture
def path_values(make_user, calendars) -> dict[tuple[str, str], str]:
    """(path prefix, parameter) → a value naming an object that exists."""
    staff = {
        **complaint_factories.staff(make_user),
        "technician": factories.technician(make_user),
    }
    now = timezone.now()
    owner = factories.customer()
    unit = factories.unit(serial="BODY-0001", purchase_date=(now - timedelta(days=900)).date(), owner=owner)
    created = ticket_create(
        customer=owner, ticket_type="repair", description="不制冷", unit=unit, actor=staff["agent"], now=now
    )
    complaint = complaint_factories.complaint_in("investigating", staff=staff, now=now)
    corrective = corrective_action_add(
        complaint=complaint,
        description="Brief the team",
        owner=staff["agent"],
        due_at=now + timedelta(days=7),
        actor=staff["supervisor"],
        now=now,
    )
    report = BreachReport.objects.create(
        complaint=complaint, key=f"test:{complaint.pk}", clock_name="resolution", created_at=now
    )
    decision = warranty_decision_record(decision=warranty_decide(unit=unit, on_date=now.date()))
    quote = quote_create(decision=decision, parts=[PartLine("P", "part", 1, 10)], labour_hours=1)
    replacement = special_replacement_request(unit=unit, reason="Third failure", actor=staff["agent"])
    incident = incident_create(
        actor=make_user("coordinator"),
        data={"incident_type": "system_outage", "title": "Portal down", "description": "502 for everyone"},
        now=now,
    )
    keeper = make_user("supervisor")
    part = parts_factories.part(sku="BODY-P1")
    central = parts_factories.warehouse(keeper, tier=WarehouseTier.CENTRAL, code="body-central")
    stock_move(actor=keeper, warehouse=central, part=part, kind="receipt", quantity=2, reason="PO")
    transfer = stock_transfer_send(
        actor=keeper, source=central, destination=parts_factories.warehouse(keeper), part=part, quantity=1, reason="r"
    )
    reservation = reservation_create(actor=keeper, warehouse=central, part=part, quantity=1, ticket_reference="T-1")
    return {
        ("/api/v1/reservations/", "id"): str(reservation.pk),
        ("/api/v1/parts/", "sku"): part.sku,
        ("/api/v1/warehouses/", "code"): central.code,
        ("/api/v1/transfers/", "id"): str(transfer.pk),
        ("/api/v1/incidents/", "number"): incident.number,
        ("/api/v1/kpi/metrics/", "key"): "csat_avg",
        ("/api/v1/incidents/", "item_id"): "1",
        ("/api/v1/tickets/", "number"): created.ticket.number,
        ("/api/v1/public/track/", "token"): created.tracking_token,
        ("/api/v1/complaints/", "number"): complaint.number,
        ("/api/v1/complaints/", "action_id"): str(corrective.pk),
        ("/api/v1/complaints/", "report_id"): str(report.pk),
        ("/api/v1/customers/", "id"): str(owner.pk),
        ("/api/v1/warranty/models/", "code"): unit.product_model.code,
        ("/api/v1/warranty/units/", "serial"): unit.serial,
        ("/api/v1/warranty/quotes/", "id"): str(quote.pk),
        ("/api/v1/warranty/replacements/", "id"): str(replacement.pk),
    }


def fill(path: str, values: dict[tuple[str, str], str]) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        for (prefix, parameter), known in values.items():
            if parameter == name and path.startswith(prefix):
                return known
        raise AssertionError(f"no value for {{{name}}} in {path}: add one to path_values")

    return re.sub(r"\{([^}]+)\}", value, path)


@pytest.mark.parametrize(
    ("method", "path", "operation"), WRITE_OPERATIONS, ids=[f"{m} {p}" for m, p, _ in WRITE_OPERATIONS]
)
def test_a_json_body_that_is_not_an_object_is_a_400_never_a_500(make_user, path_values, method, path, operation):
    client = APIClient()
    client.force_authenticate(make_user(superuser=True))
    url = fill(path, path_values)

    for body in NOT_OBJECTS:
        response = client.generic(method, url, body, content_type="application/json")

        assert response.status_code < 500, (body, response.status_code, response.content[:300])
        if response.status_code < 300 and "requestBody" not in operation:
            continue  # an action without a body that never reads one (logout): nothing to refuse
        payload = response.json()
        assert payload["detail"] and isinstance(payload["code"], str), payload
        if takes_json(operation):
            assert (response.status_code, payload["code"]) == (400, "parse_error"), (body, payload)
        else:  # an upload: the JSON body is not even read
            assert response.status_code == 415, (body, response.status_code, payload)


def test_the_refusal_says_what_was_sent_in_json_terms(api_as, calendars):
    response = api_as("agent").generic(
        "POST", "/api/v1/tickets/", json.dumps(["repair"]), "application/json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid data. Expected a dictionary, but got array.",
        "code": "parse_error",
    }
