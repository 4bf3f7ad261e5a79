"""``PlannedRepresentation`` gives exactly DRF's output, for every ticket and complaint of the demo.

The demo replays months of history through the services, so its cases cover every status, with and
without unit, assignee, owner, entitlement, quote, parts, attachments, duplicates and clocks.
"""

from __future__ import annotations

import io
import zoneinfo

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone, translation
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from aftersales.core.api.reading import drf_representation, iso_datetime
from aftersales.core.api.serializers import SlaClockSerializer
from aftersales.core.models import SlaClock
from complaints import selectors as complaint_selectors
from complaints.api.serializers import ComplaintDetailSerializer, ComplaintSerializer
from complaints.models import Complaint
from tickets import selectors as ticket_selectors
from tickets.api.serializers import TicketDetailSerializer, TicketSerializer
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module in a transaction rolled back at the end."""
    with django_db_blocker.unblock():
        transaction.set_autocommit(False)
        try:
            call_command("seed_demo", stdout=io.StringIO())
            yield
        finally:
            transaction.rollback()
            transaction.set_autocommit(True)


def context_for(username: str) -> dict:
    from django.contrib.auth import get_user_model

    request = Request(APIRequestFactory().get("/api/v1/"))
    request.user = get_user_model().objects.get(username=username)
    return {"request": request}


def assert_same_as_drf(serializer_class, instances, context) -> int:
    serializer = serializer_class(context=context)
    for instance in instances:
        assert serializer.to_representation(instance) == drf_representation(serializer, instance), instance
    return len(instances)


@pytest.mark.parametrize("username", ["supervisor", "technician"])
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC"])
def test_tickets_and_complaints_read_as_drf_would_write_them(demo, username, zone):
    context = context_for(username)
    user = context["request"].user
    tickets = list(ticket_selectors.ticket_list_for_staff(user=user))
    ticket_selectors.tickets_attach_sla(tickets)
    complaints = list(complaint_selectors.complaint_list_for_staff(user=user))
    complaint_selectors.clocks_attach(complaints)
    assert tickets and (complaints or username == "technician")

    with timezone.override(zoneinfo.ZoneInfo(zone)), translation.override("zh-hans"):
        checked = assert_same_as_drf(TicketSerializer, tickets, context)
        checked += assert_same_as_drf(TicketDetailSerializer, tickets[:40], context)
        checked += assert_same_as_drf(ComplaintSerializer, complaints, context)
        checked += assert_same_as_drf(ComplaintDetailSerializer, complaints[:20], context)
        checked += assert_same_as_drf(SlaClockSerializer, list(SlaClock.objects.all()[:500]), context)
    assert checked > 200


def test_a_case_without_unit_assignee_or_owner_reads_as_drf_would(demo):
    context = context_for("supervisor")
    ticket = Ticket.objects.filter(unit__isnull=True, assignee__isnull=True).first()
    complaint = Complaint.objects.filter(owner__isnull=True).first() or Complaint.objects.first()
    assert ticket is not None
    assert_same_as_drf(TicketSerializer, [ticket], context)
    assert_same_as_drf(ComplaintSerializer, [complaint], context)


def test_datetimes_are_iso_in_the_current_zone_with_z_for_utc():
    moment = timezone.now().replace(microsecond=0)
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        assert iso_datetime(moment).endswith("Z")
    with timezone.override(zoneinfo.ZoneInfo("Asia/Shanghai")):
        assert iso_datetime(moment).endswith("+08:00")
    assert iso_datetime(None) is None
