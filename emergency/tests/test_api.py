"""The incidents API (CONTRACT.md §4 "Incidents"): report, list with filters, retrieve with the
representation's fields, transitions with their 400/403/404/409 answers, checklist items ticked off."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from aftersales.core import clock
from conftest import shanghai
from emergency.models import ChecklistItem, Incident

from .test_plans import LEVEL_1, plan

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 24, 10)
REPORT = {
    "incident_type": "batch_failure",
    "title": "Compressors of lot 2611 fail",
    "description": "Eleven repair tickets in two days for the same compressor lot.",
    "scope": {"models": ["AC-100"], "serial_from": "AC100-0001", "serial_to": "AC100-0999"},
}


@pytest.fixture(autouse=True)
def frozen_now(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: T0)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def report(staff, **changes):
    response = client_for(staff["coordinator"]).post("/api/v1/incidents/", {**REPORT, **changes}, format="json")
    assert response.status_code == 201, response.json()
    return response


def test_a_coordinator_reports_an_incident_and_gets_its_number(staff):
    response = report(staff)
    body = response.json()
    assert body["number"].startswith("E20261124")
    assert response["Location"].endswith(f"/api/v1/incidents/{body['number']}/")
    assert body["status"] == "reported"
    assert body["incident_type"] == "batch_failure"
    assert body["level"] is None and body["drill"] is False
    assert body["commander"] is None and body["escalation_level"] == 0
    assert body["scope"] == REPORT["scope"]
    assert body["checklist"] == [] and body["sla"] == []
    assert "assess" in body["actions"] and "close" not in body["actions"]


@pytest.mark.parametrize(
    "changes",
    [
        {"incident_type": "meteor"},
        {"title": ""},
        {"drill": "maybe"},
        {"scope": {"sold_from": "yesterday"}},
        {"scope": ["AC-100"]},
        {"description": "a\x00b"},
    ],
)
def test_bad_reports_are_refused_with_400_and_nothing_is_written(staff, changes):
    response = client_for(staff["coordinator"]).post("/api/v1/incidents/", {**REPORT, **changes}, format="json")
    assert response.status_code == 400
    assert "detail" in response.json() or set(response.json()) & {*changes, "scope"}
    assert not Incident.objects.exists()


@pytest.mark.parametrize("role", ["supervisor", "manager", "technician", "agent"])
def test_only_coordinators_report(staff, role):
    response = client_for(staff[role]).post("/api/v1/incidents/", REPORT, format="json")
    assert response.status_code == 403
    assert not Incident.objects.exists()


def test_who_sees_incidents(staff):
    number = report(staff).json()["number"]
    for role in ("coordinator", "supervisor", "manager"):
        client = client_for(staff[role])
        assert [row["number"] for row in client.get("/api/v1/incidents/").json()["results"]] == [number]
        assert client.get(f"/api/v1/incidents/{number}/").status_code == 200
    for role in ("technician", "agent"):
        client = client_for(staff[role])
        # No view permission at all: 403 for the list and for any number alike (nothing is revealed).
        assert client.get("/api/v1/incidents/").status_code == 403
        assert client.get(f"/api/v1/incidents/{number}/").status_code == 403
        assert client.get("/api/v1/incidents/E20990101001/").status_code == 403
    assert APIClient().get("/api/v1/incidents/").status_code in (401, 403)


def test_the_list_filters(staff):
    real = report(staff).json()["number"]
    drill = report(staff, drill=True, incident_type="system_outage").json()["number"]
    client = client_for(staff["coordinator"])
    client.post(f"/api/v1/incidents/{real}/transition/", {"action": "assess", "level": 2}, format="json")

    def numbers(query):
        response = client.get(f"/api/v1/incidents/?{query}")
        assert response.status_code == 200, response.json()
        return {row["number"] for row in response.json()["results"]}

    assert numbers("drill=true") == {drill}
    assert numbers("drill=false") == {real}
    assert numbers("incident_type=system_outage") == {drill}
    assert numbers("level=2") == {real}
    assert numbers("status=assessed") == {real}
    assert numbers("status=open") == {real, drill}
    assert numbers(f"search={drill}") == {drill}
    assert client.get("/api/v1/incidents/?level=9").status_code == 400
    assert client.get("/api/v1/incidents/?status=nonsense").status_code == 400


def test_the_lifecycle_through_the_api_snapshots_the_plan_and_refuses_close_before_review(staff):
    plan(1, 1, LEVEL_1)
    number = report(staff).json()["number"]
    client = client_for(staff["coordinator"])

    def move(action, **fields):
        return client.post(f"/api/v1/incidents/{number}/transition/", {"action": action, **fields}, format="json")

    assert move("activate").status_code == 409  # not assessed yet
    assert move("assess", level=7).status_code == 400
    body = move("assess", level=1, commander=staff["coordinator"].username).json()
    assert body["status"] == "assessed" and body["level"] == 1
    assert body["commander"] == staff["coordinator"].username
    assert {clock["name"] for clock in body["sla"]} == {"respond", "initial_handling"}
    body = move("activate").json()
    assert body["status"] == "activated" and body["acknowledged_at"] is None  # paged, not yet acknowledged
    assert {page["recipient"] for page in body["pages"]} >= {staff["coordinator"].username}
    assert [(item["title"], item["owner_role"]) for item in body["checklist"]] == sorted(
        [(title, role) for title, role, _ in LEVEL_1], key=lambda pair: dict(((t, r), m) for t, r, m in LEVEL_1)[pair]
    )
    first_due = min(T0 + timedelta(minutes=minutes) for _, _, minutes in LEVEL_1)
    assert body["checklist"][0]["due_at"] == first_due.isoformat().replace("+00:00", "Z") or body["checklist"][0][
        "due_at"
    ].startswith("2026-11-24")
    assert move("mitigate").status_code == 200
    assert move("recover").json()["status"] == "recovered"
    assert move("close").status_code == 409  # no review yet
    assert move("transmogrify").status_code == 400
    # Supervisors and managers read, but do not run incidents.
    assert client_for(staff["supervisor"]).post(
        f"/api/v1/incidents/{number}/transition/", {"action": "mitigate"}, format="json"
    ).status_code in (403, 409)
    assert client_for(staff["manager"]).get(f"/api/v1/incidents/{number}/").json()["actions"] == []
    events = client.get(f"/api/v1/incidents/{number}/events/").json()["results"]
    actions = [event["action"] for event in events]
    # Activation paged the level's chain: its empty on-call rota skipped, then the coordinators.
    assert actions == ["create", "assess", "activate", "page_skipped", "page", "mitigate", "recover"]


def test_checklist_items_are_ticked_off_once(staff):
    plan(1, 1, LEVEL_1)
    number = report(staff).json()["number"]
    client = client_for(staff["coordinator"])
    client.post(f"/api/v1/incidents/{number}/transition/", {"action": "assess", "level": 1}, format="json")
    client.post(f"/api/v1/incidents/{number}/transition/", {"action": "activate"}, format="json")
    item = ChecklistItem.objects.filter(incident__number=number).first()
    url = f"/api/v1/incidents/{number}/checklist/{item.pk}/done/"
    first = client.post(url, {"note": "lot quarantined"}, format="json")
    assert first.status_code == 200 and first.json()["done_by"] == staff["coordinator"].username
    assert client.post(url, {}, format="json").status_code == 409
    assert client.post(f"/api/v1/incidents/{number}/checklist/999999/done/", {}, format="json").status_code == 404
    other = report(staff).json()["number"]
    assert client.post(f"/api/v1/incidents/{other}/checklist/{item.pk}/done/", {}, format="json").status_code == 404


def test_notes_reach_the_timeline(staff):
    number = report(staff).json()["number"]
    client = client_for(staff["coordinator"])
    response = client.post(f"/api/v1/incidents/{number}/notes/", {"body": "Called the plant."}, format="json")
    assert response.status_code == 201
    assert client.get(f"/api/v1/incidents/{number}/events/").json()["results"][-1]["note"] == "Called the plant."


def test_staff_files_on_an_incident_are_kept_and_told_to_staff_only(staff, settings, tmp_path):
    # An incident has no customer behind it: a file, even one marked public, reaches no customer.
    from django.core.files.uploadedfile import SimpleUploadedFile

    from aftersales.core.models import OutboxMessage

    settings.MEDIA_ROOT = tmp_path
    number = report(staff).json()["number"]
    client = client_for(staff["coordinator"])
    upload = SimpleUploadedFile("lot.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")
    response = client.post(f"/api/v1/incidents/{number}/attachments/", {"file": upload}, format="multipart")
    assert response.status_code == 201, response.content
    assert client.get(f"/api/v1/incidents/{number}/attachments/").json()[0]["name"] == "lot.png"
    assert not OutboxMessage.objects.filter(template="file_shared").exists()
