"""Paging until acknowledged: the chain climbs through the sweep, acknowledging stops it, the one-time
link acknowledges once, and nothing is paged twice (the outbox rows are counted)."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.test import Client
from rest_framework.test import APIClient

from aftersales.core import clock
from aftersales.core.cases import ActionNotAllowed
from aftersales.core.models import OutboxMessage, SlaClock
from aftersales.core.outbox.services import outbox_deliver
from aftersales.core.sla.sweep import sla_sweep
from conftest import shanghai
from emergency.models import IncidentEvent, OnCallRota, OnCallShift, Page, PageAckLink, PagerContact, PagingRun
from emergency.paging import PAGE_CLOCK
from emergency.services import incident_acknowledge, incident_create, incident_transition

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 24, 10)
REPORT = {"incident_type": "batch_failure", "title": "Compressors fail", "description": "d"}


class Now:
    value = T0


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    Now.value = T0
    monkeypatch.setattr(clock, "now", lambda: Now.value)


def at(minutes: float):
    Now.value = T0 + timedelta(minutes=minutes)
    return Now.value


def sweep(minutes: float):
    return sla_sweep(now=at(minutes))


@pytest.fixture
def people(staff, make_user):
    """The seeded chain (migration 0006): the emergency-duty rota, then coordinators, then managers."""
    on_call = staff["technician"]
    on_call.email = "oncall@example.com"
    on_call.save()
    PagerContact.objects.create(user=on_call, phone="13900000001")
    rota = OnCallRota.objects.get(code="emergency-duty")
    OnCallShift.objects.create(
        rota=rota, user=on_call, starts_at=T0 - timedelta(hours=8), ends_at=T0 + timedelta(hours=8)
    )
    return {**staff, "on_call": on_call, "executive": make_user(superuser=True, username="ceo")}


def activated(staff, level: int, drill: bool = False):
    incident = incident_create(actor=staff["coordinator"], data={**REPORT, "drill": drill}, now=T0)
    incident = incident_transition(
        incident=incident, action="assess", actor=staff["coordinator"], data={"level": level}, now=T0
    )
    return incident_transition(incident=incident, action="activate", actor=staff["coordinator"], now=T0)


def paged(incident) -> list[tuple[int, int, str, str]]:
    return sorted(Page.objects.filter(incident=incident).values_list("step", "loop", "recipient__username", "channel"))


def page_messages(incident):
    return OutboxMessage.objects.filter(key__startswith=f"incident:{incident.pk}:run:")


def test_activating_level_one_pages_the_on_call_person_and_senior_management_on_every_channel(people):
    incident = activated(people, 1)
    on_call, ceo = people["on_call"].username, people["executive"].username
    assert paged(incident) == sorted(
        [(1, 1, on_call, "sms"), (1, 1, on_call, "email"), (1, 1, on_call, "in_app"), (1, 1, ceo, "in_app")]
    )
    # One outbox message per page, with the page's own key.
    assert set(page_messages(incident).values_list("key", flat=True)) == set(
        Page.objects.filter(incident=incident).values_list("key", flat=True)
    )
    assert page_messages(incident).get(channel="sms").recipient == "13900000001"
    run = PagingRun.objects.get(incident=incident)
    step_clock = SlaClock.objects.get(object_id=run.pk, name=PAGE_CLOCK)
    assert step_clock.due_at == T0 + timedelta(minutes=5)  # level I waits five minutes
    incident.refresh_from_db()
    assert incident.acknowledged_at is None


def test_unacknowledged_pages_climb_step_by_step_then_loop_then_alarm_the_executives(people):
    incident = activated(people, 1)
    coordinators = sorted([people["coordinator"].username, people["coordinator2"].username])
    sweep(4.9)
    assert {step for step, *_ in paged(incident)} == {1}
    sweep(5)  # step 1 waited its five minutes: the coordinators
    assert sorted({name for step, _, name, _ in paged(incident) if step == 2}) == coordinators
    sweep(10)  # then the managers
    assert {name for step, _, name, _ in paged(incident) if step == 3} == {people["manager"].username}
    sweep(15)  # the chain again from the top (loop 2)
    assert {name for step, loop, name, _ in paged(incident) if (step, loop) == (1, 2)} == {people["on_call"].username}
    sweep(20)
    sweep(25)
    sweep(30)  # loop 2 ran out: the executives are alarmed and the run waits, exhausted
    run = PagingRun.objects.get(incident=incident)
    assert run.state == PagingRun.State.EXHAUSTED and run.step == 4
    assert {name for step, _, name, _ in paged(incident) if step == 4} == {people["executive"].username}
    count = page_messages(incident).count()
    sweep(120)
    assert page_messages(incident).count() == count  # nothing more after the final alarm
    actions = list(IncidentEvent.objects.filter(incident=incident).values_list("action", flat=True))
    assert actions.count("page") == 6 and actions.count("page_exhausted") == 1


def test_overlapping_and_repeated_sweeps_page_each_step_once(people):
    incident = activated(people, 2)
    sweep(10)
    first = page_messages(incident).count()
    sweep(10)
    sla_sweep(now=at(10))
    sweep(10.5)
    assert page_messages(incident).count() == first
    assert (
        Page.objects.filter(incident=incident, step=2).count()
        == page_messages(incident).filter(key__contains=":step:2:").count()
    )
    assert IncidentEvent.objects.filter(incident=incident, action="page", data__step=2).count() == 1


def test_a_killed_sweep_loses_no_page_and_its_rerun_doubles_none(people, monkeypatch):
    incident = activated(people, 2)
    from emergency import paging

    real = paging._write_pages
    calls = {"n": 0}

    def dies(*args, **kwargs):
        calls["n"] += 1
        real(*args, **kwargs)
        raise SystemExit("worker killed mid-batch")

    monkeypatch.setattr(paging, "_write_pages", dies)
    with pytest.raises(SystemExit):
        sweep(10)
    assert calls["n"] == 1
    assert not Page.objects.filter(incident=incident, step=2).exists()  # rolled back with the batch
    monkeypatch.setattr(paging, "_write_pages", real)
    sweep(10)
    sweep(10)
    assert Page.objects.filter(incident=incident, step=2).count() == 2  # two coordinators, in-app each
    assert page_messages(incident).filter(key__contains=":step:2:").count() == 2


def test_an_empty_step_is_skipped_at_once_and_said_so(staff, make_user):
    # Nobody on the rota: step 1 is skipped and the coordinators are paged straight away.
    incident = activated(staff, 3)
    assert {step for step, *_ in paged(incident)} == {2}
    skipped = IncidentEvent.objects.get(incident=incident, action="page_skipped")
    assert skipped.data["step"] == 1 and skipped.data["target"] == "Emergency duty"
    # Level III pages by email and in-app only (migration 0006).
    assert {channel for *_, channel in paged(incident)} == {"in_app"}


def test_acknowledging_stops_the_chain_and_records_who_when_and_how(people):
    incident = activated(people, 1)
    sweep(5)
    run = incident_acknowledge(incident=incident, actor=people["coordinator"], now=at(6))
    assert (run.state, run.acknowledged_by, run.acknowledged_via) == ("acknowledged", people["coordinator"], "api")
    assert not SlaClock.objects.filter(object_id=run.pk, name=PAGE_CLOCK, state__in=["running", "breached"]).exists()
    count = page_messages(incident).count()
    for minutes in (10, 15, 60, 600):
        sweep(minutes)
    assert page_messages(incident).count() == count
    incident.refresh_from_db()
    assert incident.acknowledged_at == T0 + timedelta(minutes=6)
    assert Page.objects.filter(
        incident=incident, recipient=people["coordinator"], acknowledged_at__isnull=False
    ).exists()
    assert not Page.objects.filter(
        incident=incident, recipient=people["on_call"], acknowledged_at__isnull=False
    ).exists()
    # The same person again: nothing changes; one event.
    again = incident_acknowledge(incident=incident, actor=people["coordinator"], now=at(7))
    assert again.acknowledged_at == T0 + timedelta(minutes=6)
    assert IncidentEvent.objects.filter(incident=incident, action="acknowledge").count() == 1


def test_acknowledging_after_the_due_time_but_before_the_sweep_pages_nobody_more(people):
    incident = activated(people, 1)
    incident_acknowledge(incident=incident, actor=people["on_call"], now=at(7))  # step 1 was due at 5
    assert {step for step, *_ in paged(incident)} == {1}
    sweep(30)
    assert {step for step, *_ in paged(incident)} == {1}


def test_who_may_acknowledge(people, make_user):
    incident = activated(people, 1)
    with pytest.raises(PermissionDenied):
        incident_acknowledge(incident=incident, actor=make_user("agent"))
    with pytest.raises(PermissionDenied):
        incident_acknowledge(incident=incident, actor=people["supervisor"])
    run = incident_acknowledge(incident=incident, actor=people["on_call"])  # a technician, paged
    assert run.acknowledged_by == people["on_call"]
    assert incident_acknowledge(incident=incident, actor=people["coordinator2"]).acknowledged_by == people["on_call"]


def test_level_four_pages_nobody_and_has_nothing_to_acknowledge(people):
    incident = activated(people, 4)
    assert not Page.objects.filter(incident=incident).exists()
    with pytest.raises(ActionNotAllowed):
        incident_acknowledge(incident=incident, actor=people["coordinator"])


def test_escalating_a_running_incident_pages_the_new_levels_chain(people):
    incident = activated(people, 3)
    incident_acknowledge(incident=incident, actor=people["coordinator"], now=at(1))
    incident = incident_transition(
        incident=incident, action="escalate_level", actor=people["coordinator"], data={"level": 1}, now=at(2)
    )
    runs = list(PagingRun.objects.filter(incident=incident).order_by("pk"))
    assert [(run.level, run.state) for run in runs] == [(3, "acknowledged"), (1, "paging")]
    assert {page.recipient for page in Page.objects.filter(run=runs[1])} == {people["on_call"], people["executive"]}
    incident.refresh_from_db()
    assert incident.acknowledged_at is None  # the new level's paging waits for its own acknowledgement


def test_closing_paths_end_the_paging(people):
    incident = activated(people, 2)
    incident_transition(
        incident=incident, action="stand_down", actor=people["coordinator"], data={"reason": "false alarm"}, now=at(3)
    )
    assert PagingRun.objects.get(incident=incident).state == PagingRun.State.CANCELLED
    count = page_messages(incident).count()
    sweep(60)
    assert page_messages(incident).count() == count


# --- the one-time link --------------------------------------------------------------------------------


def delivered_link(incident) -> str:
    outbox_deliver()
    bodies = [message.body for message in mail.outbox if incident.number in message.subject + message.body]
    links = [re.search(r"https?://\S+/acknowledge/\S+/", body) for body in bodies]
    found = [link.group(0) for link in links if link]
    assert found, bodies
    return found[-1]


def test_the_link_in_the_page_acknowledges_once_without_a_login_and_is_never_stored(people, settings):
    settings.SITE_URL = "http://testserver"
    incident = activated(people, 1)
    link = delivered_link(incident)
    path = link.removeprefix("http://testserver")
    token = path.rstrip("/").rsplit("/", 1)[-1]
    # Only the hash is kept: not in the outbox rows, not in the link table.
    assert not OutboxMessage.objects.filter(context__icontains=token).exists()
    assert not PageAckLink.objects.filter(token_hash=token).exists()
    assert PageAckLink.objects.filter(page__incident=incident).exists()
    browser = Client()
    confirm = browser.get(path)
    assert confirm.status_code == 200 and incident.number in confirm.content.decode()
    assert PagingRun.objects.get(incident=incident).state == "paging"  # a GET never acknowledges
    done = browser.post(path)
    assert done.status_code == 200
    run = PagingRun.objects.get(incident=incident)
    assert (run.state, run.acknowledged_by, run.acknowledged_via) == ("acknowledged", people["on_call"], "link")
    assert browser.post(path).status_code == 410  # once
    assert browser.get(path).status_code == 410


def test_an_expired_link_or_one_for_another_incident_is_refused(people, settings):
    settings.SITE_URL = "http://testserver"
    incident = activated(people, 1)
    other = activated(people, 1)
    path = delivered_link(incident).removeprefix("http://testserver")
    wrong = path.replace(f"/incidents/{incident.number}/", f"/incidents/{other.number}/")
    assert Client().post(wrong).status_code == 404
    assert Client().get(path.replace("/acknowledge/", "/acknowledge/x")).status_code == 404
    at(24 * 60 + 1)
    assert Client().post(path).status_code == 410
    assert PagingRun.objects.get(incident=incident).state == "paging"


# --- the API --------------------------------------------------------------------------------------------


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_acknowledge_through_the_api(people, make_user):
    incident = activated(people, 1)
    url = f"/api/v1/incidents/{incident.number}/acknowledge/"
    stranger = client_for(make_user("agent")).post(url, {}, format="json")
    assert stranger.status_code == 403 and {"detail", "code"} <= set(stranger.json())
    response = client_for(people["on_call"]).post(url, {}, format="json")  # a technician who was paged
    assert response.status_code == 200
    assert response.json()["paging"]["state"] == "acknowledged"
    assert response.json()["paging"]["acknowledged_by"] == people["on_call"].username
    assert client_for(people["on_call"]).post(url, {}, format="json").status_code == 200  # idempotent
    body = client_for(people["coordinator"]).get(f"/api/v1/incidents/{incident.number}/").json()
    assert body["acknowledged_at"] is not None
    assert {(page["recipient"], page["channel"], page["step"]) for page in body["pages"]} >= {
        (people["on_call"].username, "sms", 1)
    }
    acked = [page for page in body["pages"] if page["acknowledged_at"]]
    assert {page["recipient"] for page in acked} == {people["on_call"].username}
    missing = client_for(people["coordinator"]).post("/api/v1/incidents/E000/acknowledge/", {}, format="json")
    assert missing.status_code == 404
    assert (
        client_for(make_user("agent")).post("/api/v1/incidents/E000/acknowledge/", {}, format="json").status_code == 403
    )
    assert APIClient().post(url, {}, format="json").status_code in (401, 403)
