"""Photos and documents on tickets: the service's rules, the staff API, the customer's link, and that a
refused file leaves nothing behind (no row, no file, no half-made request).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from aftersales.core.models import Customer, OutboxMessage
from conftest import shanghai
from tickets.actions import ActionNotAllowed
from tickets.choices import Status
from tickets.models import Ticket, TicketAttachment
from tickets.services import MAX_ATTACHMENTS, ticket_attach, ticket_create, ticket_transition

from . import factories

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 23, 10)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64
REQUESTS_URL = "/api/v1/public/requests/"


def png(name: str = "fault.png", content: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()]


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


def tracked(staff, status=Status.NEW):
    created = ticket_create(
        customer=factories.customer(), ticket_type="repair", description="不制冷", actor=staff["agent"], now=T0
    )
    ticket = created.ticket
    for action, role, data in factories.REPAIR_PATH:
        if ticket.status == status:
            break
        data = {**data, "technician": staff["technician"].username} if action == "dispatch" else data
        ticket = ticket_transition(ticket=ticket, action=action, actor=staff[role], data=data, now=T0)
    return ticket, created.tracking_token


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["detail"] and body["code"]
    if code:
        assert body["code"] == code, body
    return body


def download(response) -> bytes:
    return b"".join(response.streaming_content)


# --- the service ----------------------------------------------------------------------------------


def test_a_customer_upload_is_stored_under_a_random_name_and_shown_on_their_timeline(staff, media):
    ticket, _token = tracked(staff)

    attachment = ticket_attach(ticket, png("空调 E4.png"), by_customer=True)

    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "空调 E4.png",
        "image/png",
        len(PNG),
    )
    assert attachment.by_customer and attachment.public and attachment.uploaded_by is None
    assert attachment.file.name.startswith("attachments/ticketattachment/") and "E4" not in attachment.file.name
    assert (media / attachment.file.name).read_bytes() == PNG
    event = ticket.events.get(action="attachment_added")
    assert event.public and event.by_customer and event.data["attachment"] == attachment.pk
    # Nobody is assigned yet: the service desk hears of the new file.
    told = OutboxMessage.objects.filter(template="customer_file", key__startswith=f"ticket:{ticket.pk}:file:")
    assert {message.recipient for message in told if message.channel == "in_app"} == {staff["agent"].username}


def test_staff_files_are_internal_unless_the_service_desk_shows_them(staff):
    ticket, _token = tracked(staff, Status.DISPATCHED)

    internal = ticket_attach(ticket, png(), by=staff["technician"])
    shown = ticket_attach(ticket, png("report.pdf", PDF), by=staff["agent"], public=True)

    assert (internal.public, shown.public) == (False, True)
    assert internal.uploaded_by == staff["technician"] and not internal.by_customer
    events = ticket.events.filter(action="attachment_added").order_by("id")
    assert [event.public for event in events] == [False, True]
    with pytest.raises(PermissionDenied):  # a technician does not write to the customer
        ticket_attach(ticket, png(), by=staff["technician"], public=True)


def test_a_shared_file_is_told_to_the_customer_and_a_colleagues_file_to_the_assignee(staff):
    ticket, _token = tracked(staff, Status.DISPATCHED)  # assigned to staff["technician"]

    own = ticket_attach(ticket, png(), by=staff["technician"])
    shown = ticket_attach(ticket, png("report.pdf", PDF), by=staff["agent"], public=True)

    told = OutboxMessage.objects.filter(key__startswith=f"ticket:{ticket.pk}:file:")
    assert not told.filter(key__startswith=f"ticket:{ticket.pk}:file:{own.pk}:").exists()  # their own file
    about_shown = told.filter(key__startswith=f"ticket:{ticket.pk}:file:{shown.pk}:")
    customer_sms = about_shown.get(template="file_shared", channel="sms")
    assert customer_sms.recipient == ticket.customer.phone and customer_sms.context["name"] == "report.pdf"
    assignee = about_shown.get(template="staff_file", channel="in_app")
    assert assignee.recipient_user == staff["technician"] and assignee.context["by"] == staff["agent"].username


def test_who_may_attach(staff, make_user):
    ticket, _token = tracked(staff)  # new: unassigned and not in the diagnosis pool
    other_technician = factories.technician(make_user, username="tech-other")

    for user in (staff["manager"], staff["coordinator"], staff["nobody"], other_technician, None):
        with pytest.raises(PermissionDenied):
            ticket_attach(ticket, png(), by=user)
    assert not TicketAttachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("virus.exe", b"MZ\x90\x00", "file_type"),
        ("fake.png", b"<html><script>alert(1)</script></html>", "file_content"),
        ("huge.png", PNG + b"\x00" * (10 * 1024 * 1024), "file_size"),
    ],
)
def test_a_bad_file_is_refused_and_nothing_is_written(staff, media, name, content, code):
    ticket, _token = tracked(staff)

    with pytest.raises(ValidationError) as error:
        ticket_attach(ticket, SimpleUploadedFile(name, content), by_customer=True)

    assert error.value.error_dict["file"][0].code == code
    assert not TicketAttachment.objects.exists() and stored_files(media) == []
    assert not ticket.events.filter(action="attachment_added").exists()


def test_at_most_ten_files_per_ticket(staff, media):
    ticket, _token = tracked(staff)
    for index in range(MAX_ATTACHMENTS):
        ticket_attach(ticket, png(f"{index}.png"), by_customer=True)

    with pytest.raises(ValidationError) as error:
        ticket_attach(ticket, png("eleven.png"), by=staff["agent"])

    assert error.value.error_dict["file"][0].code == "too_many_files"
    assert "10" in error.value.messages[0]
    assert ticket.attachments.count() == MAX_ATTACHMENTS and len(stored_files(media)) == MAX_ATTACHMENTS


def test_the_customer_cannot_add_files_to_a_cancelled_request(staff):
    ticket, _token = tracked(staff)
    ticket = ticket_transition(ticket=ticket, action="cancel", actor=staff["agent"], data={"note": "duplicate"})

    with pytest.raises(ActionNotAllowed):
        ticket_attach(ticket, png(), by_customer=True)
    ticket_attach(ticket, png(), by=staff["agent"])  # staff still file the paperwork


# --- the staff API ----------------------------------------------------------------------------------


def url(ticket, suffix: str = "") -> str:
    return f"/api/v1/tickets/{ticket.number}/{suffix}"


def test_staff_upload_list_and_download(staff):
    ticket, _token = tracked(staff, Status.DISPATCHED)
    client = client_for(staff["technician"])

    response = client.post(url(ticket, "attachments/"), {"file": png("E4 code.png")}, format="multipart")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "E4 code.png" and body["size"] == len(PNG) and body["content_type"] == "image/png"
    assert body["public"] is False and body["uploaded_by"] == staff["technician"].username
    assert body["download_url"].endswith(url(ticket, f"attachments/{body['id']}/"))
    listed = client.get(url(ticket, "attachments/")).json()
    assert [row["id"] for row in listed] == [body["id"]]
    detail = client.get(url(ticket)).json()
    assert [row["name"] for row in detail["attachments"]] == ["E4 code.png"]

    response = client.get(url(ticket, f"attachments/{body['id']}/"))

    assert response.status_code == 200
    assert download(response) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_download_answers_any_accept_header(staff):
    ticket, _token = tracked(staff)
    attachment = ticket_attach(ticket, png(), by=staff["agent"])

    response = client_for(staff["agent"]).get(url(ticket, f"attachments/{attachment.pk}/"), HTTP_ACCEPT="image/png")

    assert response.status_code == 200 and download(response) == PNG


def test_a_technician_who_cannot_see_the_ticket_gets_404_and_a_manager_may_not_upload(staff, make_user):
    ticket, _token = tracked(staff, Status.DISPATCHED)  # assigned to staff["technician"]
    attachment = ticket_attach(ticket, png(), by=staff["agent"])
    other = client_for(factories.technician(make_user, username="tech-other"))

    assert_error(other.get(url(ticket, "attachments/")), 404)
    assert_error(other.get(url(ticket, f"attachments/{attachment.pk}/")), 404)
    assert_error(other.post(url(ticket, "attachments/"), {"file": png()}, format="multipart"), 404)

    manager = client_for(staff["manager"])
    assert manager.get(url(ticket, "attachments/")).status_code == 200  # may look
    assert_error(manager.post(url(ticket, "attachments/"), {"file": png()}, format="multipart"), 403)
    assert_error(client_for(staff["nobody"]).get(url(ticket, f"attachments/{attachment.pk}/")), 403)
    assert_error(APIClient().get(url(ticket, f"attachments/{attachment.pk}/")), 401)
    assert ticket.attachments.count() == 1


def test_an_attachment_of_another_ticket_is_not_found_through_this_one(staff):
    ticket, _token = tracked(staff)
    other, _other_token = tracked(staff)
    attachment = ticket_attach(other, png(), by=staff["agent"])

    assert_error(client_for(staff["agent"]).get(url(ticket, f"attachments/{attachment.pk}/")), 404)
    assert_error(client_for(staff["agent"]).get(url(ticket, "attachments/99999999999999999/")), 404)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"file": SimpleUploadedFile("fake.png", b"<html></html>")}, "file_content"),
        ({"file": SimpleUploadedFile("x.exe", b"MZ")}, "file_type"),
        ({"file": SimpleUploadedFile("empty.png", b"")}, "empty"),
        ({}, "required"),
        ({"file": "not a file"}, "invalid"),
    ],
)
def test_bad_staff_uploads_are_400_with_a_code(staff, payload, code):
    ticket, _token = tracked(staff)

    assert_error(client_for(staff["agent"]).post(url(ticket, "attachments/"), payload, format="multipart"), 400, code)
    assert not TicketAttachment.objects.exists()


def test_uploads_must_be_multipart_and_the_limit_is_a_400(staff):
    ticket, _token = tracked(staff)
    client = client_for(staff["agent"])
    assert_error(client.post(url(ticket, "attachments/"), {"file": "x"}, format="json"), 415)
    for index in range(MAX_ATTACHMENTS):
        ticket_attach(ticket, png(f"{index}.png"), by=staff["agent"])

    body = assert_error(client.post(url(ticket, "attachments/"), {"file": png()}, format="multipart"), 400)

    assert body["code"] == "too_many_files" and "file" in body


def test_only_the_service_desk_uploads_files_the_customer_sees(staff):
    ticket, _token = tracked(staff, Status.DISPATCHED)

    response = client_for(staff["technician"]).post(
        url(ticket, "attachments/"), {"file": png(), "public": "true"}, format="multipart"
    )
    assert_error(response, 403)
    response = client_for(staff["agent"]).post(
        url(ticket, "attachments/"), {"file": png(), "public": "true"}, format="multipart"
    )
    assert response.status_code == 201 and response.json()["public"] is True


# --- the customer's link ------------------------------------------------------------------------------


def track_url(token: str, suffix: str = "") -> str:
    return f"/api/v1/public/track/{token}/{suffix}"


def test_the_customer_uploads_through_the_link_and_downloads_what_they_may_see(staff):
    ticket, token = tracked(staff)
    internal = ticket_attach(ticket, png("internal.png"), by=staff["agent"])
    client = APIClient()
    assert "attach" in client.get(track_url(token)).json()["actions"]

    response = client.post(track_url(token, "attachments/"), {"file": png("漏水.png")}, format="multipart")

    assert response.status_code == 201, response.content
    body = response.json()
    assert [row["name"] for row in body["attachments"]] == ["漏水.png"]  # not the internal file
    row = body["attachments"][0]
    assert row["by"] == "customer" and row["size"] == len(PNG)
    assert row["download_url"].endswith(track_url(token, f"attachments/{row['id']}/"))
    assert any(entry["action"] == "attachment_added" for entry in body["timeline"])

    response = client.get(track_url(token, f"attachments/{row['id']}/"))
    assert response.status_code == 200 and download(response) == PNG
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]

    assert_error(client.get(track_url(token, f"attachments/{internal.pk}/")), 404)
    _other, other_token = tracked(staff)
    assert_error(client.get(track_url(other_token, f"attachments/{row['id']}/")), 404)
    assert_error(client.get(track_url("x" * 32, f"attachments/{row['id']}/")), 404)


def test_bad_customer_uploads_are_4xx_and_change_nothing(staff, media):
    ticket, token = tracked(staff)
    client = APIClient()

    assert_error(
        client.post(track_url(token, "attachments/"), {"file": SimpleUploadedFile("a.png", b"GIF89a")}),
        400,
        "file_content",
    )
    assert_error(client.post(track_url(token, "attachments/"), {"file": "x"}, format="json"), 415)
    assert_error(client.post(track_url("x" * 32, "attachments/"), {"file": png()}, format="multipart"), 404)
    assert not TicketAttachment.objects.exists() and stored_files(media) == []

    ticket_transition(ticket=ticket, action="cancel", actor=staff["agent"], data={"note": "duplicate"})
    assert "attach" not in client.get(track_url(token)).json()["actions"]
    assert_error(client.post(track_url(token, "attachments/"), {"file": png()}, format="multipart"), 409)


def test_a_request_with_photos_in_one_multipart_post():
    client = APIClient()
    payload = {
        "type": "repair",
        "name": "孙丽",
        "phone": "13900002222",
        "description": "空调漏水",
        "attachments": [png("one.png"), SimpleUploadedFile("two.pdf", PDF)],
    }

    response = client.post(REQUESTS_URL, payload, format="multipart")

    assert response.status_code == 201, response.content
    ticket = Ticket.objects.get(number=response.json()["number"])
    assert sorted(ticket.attachments.values_list("original_name", flat=True)) == ["one.png", "two.pdf"]
    assert ticket.attachments.filter(by_customer=True, public=True).count() == 2
    tracked_view = client.get(track_url(response.json()["tracking_token"])).json()
    assert len(tracked_view["attachments"]) == 2


@pytest.mark.parametrize(
    "attachments",
    [
        [png("ok.png"), SimpleUploadedFile("bad.png", b"<svg/>")],
        [png(f"{index}.png") for index in range(6)],
        [png("ok.png"), SimpleUploadedFile("x.exe", b"MZ")],
    ],
)
def test_a_request_with_a_bad_photo_is_refused_whole(media, attachments):
    payload = {
        "type": "repair",
        "name": "孙丽",
        "phone": "13900002222",
        "description": "漏水",
        "attachments": attachments,
    }

    body = assert_error(APIClient().post(REQUESTS_URL, payload, format="multipart"), 400)

    assert "attachments" in body
    assert not Ticket.objects.exists() and not Customer.objects.exists() and not TicketAttachment.objects.exists()
    assert stored_files(media) == []


def test_a_file_refused_by_the_service_after_the_form_checks_leaves_nothing(media, monkeypatch):
    """The serializer's checks passed, then storing the second file failed: all of it rolls back."""
    from tickets import intake

    calls = []
    real_attach = intake.ticket_attach

    def failing_attach(ticket, upload, **kwargs):
        calls.append(upload.name)
        if len(calls) == 2:
            raise ValidationError({"file": ValidationError("storage refused it", code="file_content")})
        return real_attach(ticket, upload, **kwargs)

    monkeypatch.setattr(intake, "ticket_attach", failing_attach)
    payload = {
        "type": "repair",
        "name": "孙丽",
        "phone": "13900002222",
        "description": "漏水",
        "attachments": [png("one.png"), png("two.png")],
    }

    assert_error(APIClient().post(REQUESTS_URL, payload, format="multipart"), 400, "file_content")
    assert not Ticket.objects.exists() and not TicketAttachment.objects.exists()
    assert stored_files(media) == []  # the first file, stored before the failure, was removed


def test_json_requests_work_as_before_and_cannot_smuggle_files():
    client = APIClient()
    payload = {"type": "repair", "name": "孙丽", "phone": "13900002222", "description": "漏水"}
    assert client.post(REQUESTS_URL, payload, format="json").status_code == 201
    assert_error(client.post(REQUESTS_URL, {**payload, "attachments": ["aGVsbG8="]}, format="json"), 400)


# --- under contention -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("committed_sla_matrix")
def test_the_last_free_places_are_not_taken_twice(staff, media):
    """Four uploads race for the last two places: the ticket's row lock lets exactly two in."""
    from aftersales.core.tests.concurrency import kinds, run_together

    ticket, _token = tracked(staff)
    for index in range(MAX_ATTACHMENTS - 2):
        ticket_attach(ticket, png(f"{index}.png"), by_customer=True)

    uploads = [png(f"race-{index}.png") for index in range(4)]
    jobs = [lambda upload=upload: ticket_attach(Ticket(pk=ticket.pk), upload, by_customer=True) for upload in uploads]

    outcomes = run_together(*jobs)

    assert kinds(outcomes) == {"ok": 2, "ValidationError": 2}
    assert TicketAttachment.objects.filter(ticket=ticket).count() == MAX_ATTACHMENTS
    assert len(stored_files(media)) == MAX_ATTACHMENTS  # the refused ones left no file
