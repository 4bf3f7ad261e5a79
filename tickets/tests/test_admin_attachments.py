"""Files and labour/travel in the tickets admin: the inline with access-checked download links, the
upload form, and the form that records one visit's work.
"""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tickets.choices import Status
from tickets.models import Ticket, TicketAttachment
from tickets.services import ticket_attach

from . import factories
from .test_admin import CHANGELIST, T0, change_url, logged_in, texts

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def setup(settings, tmp_path, time_machine):
    settings.LANGUAGE_CODE = "en"
    settings.MEDIA_ROOT = tmp_path
    time_machine.move_to(T0, tick=False)
    return tmp_path


@pytest.fixture
def staff(make_user):
    return factories.staff(make_user)


def photo(name="fault.png", content=PNG):
    return SimpleUploadedFile(name, content, content_type="image/png")


def attach_url(ticket) -> str:
    return f"{CHANGELIST}{ticket.pk}/attach/"


def work_url(ticket) -> str:
    return f"{CHANGELIST}{ticket.pk}/work/"


def test_staff_upload_a_file_and_see_it_listed_with_a_download_link(client, staff):
    ticket = factories.ticket_in(Status.DISPATCHED, staff=staff, now=T0)
    logged_in(client, staff["agent"])
    page = client.get(change_url(ticket)).content.decode()
    assert f'href="{attach_url(ticket)}"' in page

    form = client.get(attach_url(ticket)).content.decode()
    assert 'enctype="multipart/form-data"' in form and 'name="public"' in form

    response = client.post(attach_url(ticket), {"file": photo("故障.png"), "public": "on"})

    assert response.status_code == 302 and response["Location"] == change_url(ticket)
    assert texts(response) == ["File 故障.png added."]
    attachment = TicketAttachment.objects.get()
    assert attachment.public and attachment.uploaded_by == staff["agent"]
    page = client.get(change_url(ticket)).content.decode()
    link = f"{CHANGELIST}{ticket.pk}/attachment/{attachment.pk}/"
    assert f'<a href="{link}" download>故障.png</a>' in page
    assert "/media/" not in page

    download = client.get(link)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_technician_uploads_internal_files_only_and_cannot_reach_other_tickets(client, staff):
    mine = factories.ticket_in(Status.DISPATCHED, staff=staff, now=T0)
    other = factories.ticket_in(Status.NEW, staff=staff, now=T0)
    foreign = ticket_attach(other, photo(), by=staff["agent"])
    logged_in(client, staff["technician"])

    assert 'name="public"' not in client.get(attach_url(mine)).content.decode()
    response = client.post(attach_url(mine), {"file": photo(), "public": "on"})
    assert response.status_code == 302
    assert TicketAttachment.objects.get(ticket=mine).public is False

    assert client.get(f"{CHANGELIST}{other.pk}/attachment/{foreign.pk}/").status_code == 404
    assert client.get(f"{CHANGELIST}{mine.pk}/attachment/{foreign.pk}/").status_code == 404  # not this ticket's
    assert client.post(attach_url(other), {"file": photo()}).status_code == 302  # "doesn't exist" redirect
    assert TicketAttachment.objects.filter(ticket=other).count() == 1


def test_a_manager_sees_files_but_may_not_upload(client, staff):
    ticket = factories.ticket_in(Status.NEW, staff=staff, now=T0)
    attachment = ticket_attach(ticket, photo(), by=staff["agent"])
    logged_in(client, staff["manager"])

    assert f'href="{attach_url(ticket)}"' not in client.get(change_url(ticket)).content.decode()
    assert client.post(attach_url(ticket), {"file": photo()}).status_code == 403
    assert client.get(f"{CHANGELIST}{ticket.pk}/attachment/{attachment.pk}/").status_code == 200


def test_a_bad_file_is_shown_on_the_form(client, staff, setup):
    ticket = factories.ticket_in(Status.NEW, staff=staff, now=T0)
    logged_in(client, staff["agent"])

    response = client.post(attach_url(ticket), {"file": photo("fake.png", b"<html></html>")})

    assert response.status_code == 200
    assert "does not match its type" in response.content.decode()
    assert not TicketAttachment.objects.exists()
    assert [path for path in Path(setup).rglob("*") if path.is_file()] == []


def test_the_assignee_records_labour_and_travel(client, staff):
    ticket = factories.ticket_in(Status.IN_PROGRESS, staff=staff, now=T0)
    logged_in(client, staff["technician"])
    assert f'href="{work_url(ticket)}"' in client.get(change_url(ticket)).content.decode()

    response = client.post(work_url(ticket), {"labour_hours": "1.5", "travel_km": "12", "note": "two trips"})

    assert response.status_code == 302, response.content.decode()
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.labour_hours, ticket.travel_km) == (Decimal("1.50"), 12)
    assert ticket.events.filter(action="work_recorded").count() == 1

    response = client.post(work_url(ticket), {"labour_hours": "", "travel_km": ""})
    assert response.status_code == 200
    assert "Give the labour hours or the travel kilometres." in response.content.decode()
    response = client.post(work_url(ticket), {"labour_hours": "-1"})
    assert response.status_code == 200 and Ticket.objects.get(pk=ticket.pk).labour_hours == Decimal("1.50")


def test_who_sees_the_work_form(client, staff):
    ticket = factories.ticket_in(Status.IN_PROGRESS, staff=staff, now=T0)
    logged_in(client, staff["agent"])
    assert f'href="{work_url(ticket)}"' not in client.get(change_url(ticket)).content.decode()
    assert client.post(work_url(ticket), {"labour_hours": "1"}).status_code == 403

    dispatched = factories.ticket_in(Status.DISPATCHED, staff=staff, now=T0)
    logged_in(client, staff["supervisor"])
    assert f'href="{work_url(dispatched)}"' not in client.get(change_url(dispatched)).content.decode()
    response = client.post(work_url(dispatched), {"labour_hours": "1"})
    assert response.status_code == 302 and "in work" in texts(response)[0]
    response = client.post(work_url(ticket), {"travel_km": "4"})
    assert response.status_code == 302 and Ticket.objects.get(pk=ticket.pk).travel_km == 4


def test_the_resolve_form_takes_the_last_visits_work(client, staff):
    ticket = factories.ticket_in(Status.IN_PROGRESS, staff=staff, now=T0)
    logged_in(client, staff["technician"])

    response = client.post(
        f"{CHANGELIST}{ticket.pk}/action/resolve/",
        {"resolution": "relay replaced", "functional_test": "passed", "labour_hours": "2", "travel_km": "9"},
    )

    assert response.status_code == 302, response.content.decode()
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.status == Status.RESOLVED and (ticket.labour_hours, ticket.travel_km) == (Decimal("2.00"), 9)
