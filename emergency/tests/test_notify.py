"""Notifying affected customers: once each, a drill messages nobody, a retry doubles nothing."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from aftersales.core import clock
from aftersales.core.cases import ActionNotAllowed
from aftersales.core.models import OutboxMessage
from conftest import shanghai
from emergency.models import CustomerNotice, IncidentEvent, NoticeRecipient
from emergency.notices import DrillMessageRefused, notice_messages_write
from emergency.services import incident_create, incident_notify_customers, incident_transition
from warranty.tests.factories import CustomerFactory, ProductModelFactory, UnitFactory

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 24, 10)
SCOPE = {"models": ["AC-100"]}


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: T0)


@pytest.fixture
def owners():
    """Three owners of AC-100 units (one owns two, one has an email too), one owner of another model."""
    ac, other = ProductModelFactory(code="AC-100"), ProductModelFactory(code="FR-200")
    alice = CustomerFactory(name="Alice", email="alice@example.com")
    bob, carol, dave = CustomerFactory(name="Bob"), CustomerFactory(name="Carol"), CustomerFactory(name="Dave")
    for serial, model, owner in [
        ("AC100-1", ac, alice),
        ("AC100-2", ac, alice),
        ("AC100-3", ac, bob),
        ("AC100-4", ac, carol),
        ("FR200-1", other, dave),
    ]:
        UnitFactory(serial=serial, product_model=model, purchase_date=date(2026, 3, 1), customer=owner)
    return {"alice": alice, "bob": bob, "carol": carol, "dave": dave}


def assessed(staff, *, drill=False, scope=SCOPE):
    data = {"incident_type": "batch_failure", "title": "Lot 2611", "description": "d", "scope": scope, "drill": drill}
    incident = incident_create(actor=staff["coordinator"], data=data, now=T0)
    return incident_transition(
        incident=incident, action="assess", actor=staff["coordinator"], data={"level": 3}, now=T0
    )


def customer_messages(incident):
    return OutboxMessage.objects.filter(key__startswith=f"incident:{incident.pk}:notice:")


def test_every_owner_of_an_affected_unit_is_messaged_once_per_channel_they_have(staff, owners):
    incident = assessed(staff)
    notice = incident_notify_customers(incident=incident, actor=staff["coordinator"], message="  Please call us.  ")
    assert (notice.customers, notice.new_messages, notice.message) == (3, 4, "Please call us.")
    rows = customer_messages(incident)
    # Alice (two units) once by SMS and once by email; Bob and Carol by SMS; Dave's model is not affected.
    assert sorted((row.recipient, row.channel) for row in rows) == sorted(
        [
            (owners["alice"].phone, "sms"),
            ("alice@example.com", "email"),
            (owners["bob"].phone, "sms"),
            (owners["carol"].phone, "sms"),
        ]
    )
    assert {row.template for row in rows} == {"incident_customer_notice"}
    assert all(row.context == {"notice": notice.pk} for row in rows)  # the text is looked up at delivery
    assert set(NoticeRecipient.objects.filter(notice=notice).values_list("customer_id", flat=True)) == {
        owners[name].pk for name in ("alice", "bob", "carol")
    }
    event = IncidentEvent.objects.get(incident=incident, action="notify_customers")
    assert event.data["customers"] == 3 and event.data["messages"] == 4 and event.data["drill"] is False


def test_a_retry_of_the_same_notice_doubles_nothing_and_reaches_only_newcomers(staff, owners):
    incident = assessed(staff)
    incident_notify_customers(incident=incident, actor=staff["coordinator"], message="Please call us.")
    before = customer_messages(incident).count()
    again = incident_notify_customers(incident=incident, actor=staff["coordinator"], message="Please call us.")
    assert (again.customers, again.new_messages) == (3, 0)
    assert customer_messages(incident).count() == before == 4
    assert CustomerNotice.objects.filter(incident=incident).count() == 1
    # A new owner of an affected unit gets the same notice once; nobody else hears it twice.
    erin = CustomerFactory(name="Erin")
    UnitFactory(serial="AC100-9", product_model=owners["alice"].units.first().product_model, customer=erin)
    third = incident_notify_customers(incident=incident, actor=staff["coordinator"], message="Please call us.")
    assert (third.customers, third.new_messages) == (4, 1)
    assert customer_messages(incident).filter(recipient=erin.phone).count() == 1
    # A different text is a new notice to everyone.
    update = incident_notify_customers(incident=incident, actor=staff["coordinator"], message="Fixed.")
    assert (update.customers, update.new_messages) == (4, 5)


def test_a_drill_counts_and_records_but_no_message_reaches_a_customer(staff, owners):
    incident = assessed(staff, drill=True)
    outbox_before = OutboxMessage.objects.count()
    notice = incident_notify_customers(incident=incident, actor=staff["coordinator"], message="Drill notice")
    assert (notice.customers, notice.new_messages, notice.drill) == (3, 0, True)
    assert OutboxMessage.objects.count() == outbox_before
    assert NoticeRecipient.objects.filter(notice=notice).count() == 3
    event = IncidentEvent.objects.get(incident=incident, action="notify_customers")
    assert event.data["drill"] is True and event.data["messages"] == 0
    assert "Drill" in event.note or "演练" in event.note  # in the site language
    # Where customer messages are written, a drill's notice is refused outright.
    with pytest.raises(DrillMessageRefused):
        notice_messages_write(notice)
    assert OutboxMessage.objects.count() == outbox_before


def test_who_may_notify_and_what_is_refused(staff, owners):
    incident = assessed(staff)
    for role in ("supervisor", "manager", "technician", "agent"):
        with pytest.raises(PermissionDenied):
            incident_notify_customers(incident=incident, actor=staff[role], message="x")
    for empty in ("", "   ", None, 5):
        with pytest.raises(ValidationError):
            incident_notify_customers(incident=incident, actor=staff["coordinator"], message=empty)
    reported = incident_create(
        actor=staff["coordinator"],
        data={"incident_type": "batch_failure", "title": "t", "description": "d", "scope": SCOPE},
        now=T0,
    )
    with pytest.raises(ActionNotAllowed):  # not assessed yet: its scope is not settled
        incident_notify_customers(incident=reported, actor=staff["coordinator"], message="x")
    assert not customer_messages(incident).exists() and not CustomerNotice.objects.exists()


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_answers_202_with_the_count_and_4xx_shapes(staff, owners):
    incident = assessed(staff)
    url = f"/api/v1/incidents/{incident.number}/notify-customers/"
    response = client_for(staff["coordinator"]).post(url, {"message": "Please call us."}, format="json")
    assert response.status_code == 202
    assert response.json()["customers"] == 3 and response.json()["messages"] == 4
    assert client_for(staff["coordinator"]).get(f"/api/v1/incidents/{incident.number}/").json()["affected"] == {
        "units": 4,
        "customers": 3,
        "notified": 3,
    }
    for body in ({"message": ""}, {}, {"message": "a\x00b"}, {"message": ["x"]}):
        bad = client_for(staff["coordinator"]).post(url, body, format="json")
        assert bad.status_code == 400, body
    refused = client_for(staff["supervisor"]).post(url, {"message": "x"}, format="json")
    assert refused.status_code == 403 and {"detail", "code"} <= set(refused.json())
    assert client_for(staff["technician"]).post(url, {"message": "x"}, format="json").status_code == 403
    missing = client_for(staff["coordinator"]).post(
        "/api/v1/incidents/E0000/notify-customers/", {"message": "x"}, format="json"
    )
    assert missing.status_code == 404 and {"detail", "code"} <= set(missing.json())
    assert customer_messages(incident).count() == 4


def test_a_drill_through_the_api_says_so(staff, owners):
    incident = assessed(staff, drill=True)
    response = client_for(staff["coordinator"]).post(
        f"/api/v1/incidents/{incident.number}/notify-customers/", {"message": "Drill"}, format="json"
    )
    assert response.status_code == 202
    assert response.json()["customers"] == 3 and response.json()["messages"] == 0 and response.json()["drill"] is True
    assert not customer_messages(incident).exists()


def test_the_notice_text_is_looked_up_and_rendered_in_the_customers_language_at_delivery(staff, owners):
    from aftersales.core.outbox.rendering import render_message

    owners["bob"].language = "en"
    owners["bob"].save()
    incident = assessed(staff)
    incident_notify_customers(incident=incident, actor=staff["coordinator"], message="请暂停使用，我们将上门检修。")
    chinese = render_message(customer_messages(incident).get(recipient=owners["carol"].phone))
    english = render_message(customer_messages(incident).get(recipient=owners["bob"].phone))
    assert "请暂停使用" in chinese.body and "重要通知" in chinese.subject and "Lot 2611" in chinese.subject
    assert "请暂停使用" in english.body and english.subject.startswith("Important notice")
