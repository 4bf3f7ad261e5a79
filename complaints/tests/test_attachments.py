"""Photos and documents on complaints: the service, the staff API and the customer's tracking link."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from complaints.actions import ActionNotAllowed
from complaints.choices import Status
from complaints.models import Complaint, ComplaintAttachment, ComplaintEvent
from complaints.services import MAX_ATTACHMENTS, complaint_attach, complaint_create, complaint_transition
from conftest import shanghai

from . import factories

pytestmark = pytest.mark.django_db
T0 = shanghai(2026, 11, 24, 10)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def png(name: str = "scratch.png", content: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


def filed(staff):
    created = complaint_create(
        customer=factories.customer(), category="product.appearance", description="Scratched", now=T0
    )
    return created.complaint, created.tracking_token


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_customer_files_are_public_and_staff_files_internal_unless_shown(staff, media):
    complaint, _token = filed(staff)
    mine = complaint_attach(complaint, png(), by_customer=True, now=T0)
    internal = complaint_attach(complaint, png("lab.png"), by=staff["supervisor"], now=T0)
    shown = complaint_attach(complaint, png("answer.png"), by=staff["agent"], public=True, now=T0)

    assert (mine.public, internal.public, shown.public) == (True, False, True)
    assert "scratch" not in mine.file.name  # stored under a random name
    events = ComplaintEvent.objects.filter(action="attachment_added").order_by("pk")
    assert [(event.by_customer, event.public) for event in events] == [(True, True), (False, False), (False, True)]
    with pytest.raises(PermissionDenied):  # managers read the files; the desk adds them
        complaint_attach(complaint, png(), by=staff["manager"], now=T0)


def test_bad_files_and_the_limit_are_refused_and_nothing_is_stored(staff, media):
    complaint, _token = filed(staff)
    with pytest.raises(ValidationError):
        complaint_attach(complaint, png("fake.png", b"<html>"), by_customer=True)
    for _ in range(MAX_ATTACHMENTS):
        complaint_attach(complaint, png(), by_customer=True)
    with pytest.raises(ValidationError):
        complaint_attach(complaint, png(), by_customer=True)
    assert ComplaintAttachment.objects.count() == MAX_ATTACHMENTS
    assert len([path for path in media.rglob("*") if path.is_file()]) == MAX_ATTACHMENTS


def test_a_withdrawn_complaint_takes_no_more_customer_files(staff):
    complaint, _token = filed(staff)
    complaint_transition(complaint=complaint, action="withdraw", actor=staff["agent"], data={"note": "withdrawn"})
    with pytest.raises(ActionNotAllowed):
        complaint_attach(complaint, png(), by_customer=True)


def test_staff_upload_list_and_download(staff):
    complaint, _token = filed(staff)
    base = f"/api/v1/complaints/{complaint.number}/attachments/"
    uploaded = client_for(staff["agent"]).post(base, {"file": png(), "public": "true"}, format="multipart")
    assert uploaded.status_code == 201, uploaded.json()
    body = uploaded.json()
    assert body["public"] is True and body["download_url"].endswith(f"{base}{body['id']}/")

    listing = client_for(staff["manager"]).get(base)
    assert [row["id"] for row in listing.json()] == [body["id"]]
    download = client_for(staff["manager"]).get(f"{base}{body['id']}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert download["X-Content-Type-Options"] == "nosniff"
    assert client_for(staff["manager"]).get(f"{base}999999/").status_code == 404
    assert client_for(staff["technician"]).get(f"{base}{body['id']}/").status_code == 403
    refused = client_for(staff["manager"]).post(base, {"file": png()}, format="multipart")
    assert refused.status_code == 403  # managers read files; the desk adds them
    bad = client_for(staff["agent"]).post(base, {"file": png("x.png", b"GIF89a")}, format="multipart")
    assert bad.status_code == 400
    detail = client_for(staff["agent"]).get(f"/api/v1/complaints/{complaint.number}/").json()
    assert [row["name"] for row in detail["attachments"]] == ["scratch.png"]


def test_the_customer_attaches_and_downloads_through_the_link(staff):
    complaint, token = filed(staff)
    internal = complaint_attach(complaint, png("internal.png"), by=staff["supervisor"], now=T0 + timedelta(minutes=1))
    public = APIClient()
    track = f"/api/v1/public/track/{token}/"

    assert "attach" in public.get(track).json()["actions"]
    added = public.post(track + "attachments/", {"file": png()}, format="multipart")
    assert added.status_code == 201, added.json()
    files = added.json()["attachments"]
    assert [row["name"] for row in files] == ["scratch.png"]  # the internal file stays internal
    assert public.get(files[0]["download_url"]).status_code == 200
    assert public.get(f"{track}attachments/{internal.pk}/").status_code == 404
    assert public.post(track + "attachments/", {"file": png("x.png", b"MZ")}, format="multipart").status_code == 400
    assert Status(complaint.status) == Status.RECEIVED


def test_photos_sent_with_a_public_complaint_are_stored_with_it(staff, media):
    public = APIClient()
    fields = {"category": "product.appearance", "name": "周芷若", "phone": "13700002222", "description": "Dented."}
    created = public.post(
        "/api/v1/public/complaints/", {**fields, "attachments": [png(), png("b.png")]}, format="multipart"
    )
    assert created.status_code == 201, created.json()
    complaint = Complaint.objects.get(number=created.json()["number"])
    assert sorted(complaint.attachments.values_list("original_name", flat=True)) == ["b.png", "scratch.png"]

    refused = public.post(
        "/api/v1/public/complaints/",
        {**fields, "phone": "13700003333", "attachments": [png(), png("evil.png", b"<svg/>")]},
        format="multipart",
    )
    assert refused.status_code == 400
    assert not Complaint.objects.filter(customer__phone="13700003333").exists()
    assert len([path for path in media.rglob("*") if path.is_file()]) == 2  # nothing of the refused one


def test_the_owner_hears_of_a_customers_file(staff):
    from aftersales.core.models import OutboxMessage

    complaint = factories.complaint_in(Status.ACKNOWLEDGED, staff=staff, now=T0)
    attachment = complaint_attach(complaint, png(), by_customer=True, now=T0)
    told = OutboxMessage.objects.get(key=f"complaint:{complaint.pk}:file:{attachment.pk}:u{staff['agent'].pk}:in_app")
    assert told.template == "customer_file" and told.context["name"] == "scratch.png"
    complaint_attach(complaint, png(), by=staff["agent"], now=T0)
    assert OutboxMessage.objects.filter(template="customer_file").count() == 1  # staff files tell nobody


def test_the_owner_hears_of_a_colleagues_file_and_the_customer_of_a_shared_one(staff):
    from aftersales.core.models import OutboxMessage

    complaint = factories.complaint_in(Status.ACKNOWLEDGED, staff=staff, now=T0)  # owned by the agent
    internal = complaint_attach(complaint, png(), by=staff["supervisor"], now=T0)
    shared = complaint_attach(complaint, png("answer.png"), by=staff["agent"], public=True, now=T0)

    owner_told = OutboxMessage.objects.get(template="staff_file", channel="in_app")
    assert owner_told.recipient_user == staff["agent"] and owner_told.key.startswith(
        f"complaint:{complaint.pk}:file:{internal.pk}:"
    )
    customer_told = OutboxMessage.objects.get(template="file_shared", channel="sms")
    assert customer_told.key.startswith(f"complaint:{complaint.pk}:file:{shared.pk}:")
    assert customer_told.recipient == complaint.customer.phone
