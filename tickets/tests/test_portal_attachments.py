"""Photos on the customer's pages: with a new request on /request/, and added or downloaded on
/track/<token>/; a refused file is shown on the form and nothing is written.
"""

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from aftersales.core.models import Customer
from tickets.models import Ticket, TicketAttachment
from tickets.services import MAX_ATTACHMENTS, ticket_attach, ticket_transition

from . import factories
from .test_portal import REQUEST, T0, page_text, random_address, tracked

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path, time_machine):
    settings.MEDIA_ROOT = tmp_path
    time_machine.move_to(T0, tick=False)
    return tmp_path


@pytest.fixture
def client(client):
    client.defaults["REMOTE_ADDR"] = random_address()  # the request form's limit is per address
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()]


def photo(name="fault.png", content=PNG):
    return SimpleUploadedFile(name, content, content_type="image/png")


def test_the_request_form_takes_photos(client, media):
    form = client.get("/request/").content.decode()
    assert 'enctype="multipart/form-data"' in form and 'type="file" name="photos"' in form and "multiple" in form

    response = client.post("/request/", {**REQUEST, "photos": [photo("one.png"), photo("two.jpg", JPEG)]})

    assert response.status_code == 302, page_text(response)
    ticket = Ticket.objects.get()
    assert sorted(ticket.attachments.values_list("original_name", flat=True)) == ["one.png", "two.jpg"]
    assert len(stored_files(media)) == 2


@pytest.mark.parametrize(
    ("photos", "message"),
    [
        ([photo("ok.png"), photo("fake.png", b"<html></html>")], "does not match its type"),
        ([photo("virus.exe", b"MZ")], "Upload a PDF, JPEG, PNG or WebP file."),
        ([photo(f"{index}.png") for index in range(6)], "Attach at most 5 files."),
    ],
)
def test_a_bad_photo_is_shown_on_the_form_and_nothing_is_written(client, media, photos, message):
    response = client.post("/request/", {**REQUEST, "photos": photos})

    assert response.status_code == 400
    assert "photos" in response.context["form"].errors
    assert message in page_text(response)
    assert not Ticket.objects.exists() and not Customer.objects.exists() and stored_files(media) == []


def test_the_customer_adds_a_photo_and_downloads_it(client, staff):
    ticket, url = tracked(staff)
    internal = ticket_attach(ticket, photo("internal.png"), by=staff["agent"])
    page = client.get(url).content.decode()
    assert 'name="attach-file"' in page and 'enctype="multipart/form-data"' in page

    response = client.post(url, {"form": "attach", "attach-file": photo("漏水.png")})

    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url)
    text = page_text(page)
    assert "Thank you — your file was added." in text and "漏水.png" in text
    assert "internal.png" not in text  # staff's internal files stay inside
    link = re.search(r'<a href="(/track/[^"]+/files/\d+/)" download>漏水.png</a>', page.content.decode()).group(1)

    response = client.get(link)

    assert response.status_code == 200 and b"".join(response.streaming_content) == PNG
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get(link.replace(f"/files/{link.split('/')[-2]}/", f"/files/{internal.pk}/")).status_code == 404
    _other, other_url = tracked(staff)
    assert client.get(f"{other_url}files/{link.split('/')[-2]}/").status_code == 404


def test_a_refused_photo_is_shown_on_the_tracking_page(client, staff, media):
    _ticket, url = tracked(staff)

    response = client.post(url, {"form": "attach", "attach-file": photo("fake.png", b"GIF89a")})

    assert response.status_code == 400
    assert "does not match its type" in page_text(response)
    assert not TicketAttachment.objects.exists() and stored_files(media) == []

    response = client.post(url, {"form": "attach"})
    assert response.status_code == 400 and "This field is required." in page_text(response)


def test_no_upload_form_when_the_request_is_closed_or_full(client, staff):
    ticket, url = tracked(staff)
    for index in range(MAX_ATTACHMENTS):
        ticket_attach(ticket, photo(f"{index}.png"), by_customer=True)
    assert 'name="attach-file"' not in client.get(url).content.decode()

    response = client.post(url, {"form": "attach", "attach-file": photo()})
    assert response.status_code == 409 and ticket.attachments.count() == MAX_ATTACHMENTS

    cancelled, cancelled_url = tracked(staff)
    ticket_transition(ticket=cancelled, action="cancel", actor=staff["agent"], data={"note": "duplicate"})
    assert 'name="attach-file"' not in client.get(cancelled_url).content.decode()
