"""The complaints demo: 90 days of history replayed through the services, loaded once."""

from __future__ import annotations

import io
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from aftersales.core.models import OutboxMessage, SlaClock
from complaints.choices import Category, Channel, CorrectiveStatus, Severity, Status
from complaints.models import (
    BreachReport,
    Complaint,
    ComplaintEvent,
    CorrectiveAction,
    StaffComplaintRecord,
)
from devdata.demo import complaints as demo
from devdata.demo import core as core_demo
from devdata.demo import warranty as warranty_demo

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Complaint, ComplaintEvent, CorrectiveAction, BreachReport, StaffComplaintRecord, SlaClock)
    }


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Core, warranty and complaints demo once for the module, in a transaction rolled back at the end."""
    from django.db import transaction

    with django_db_blocker.unblock():
        transaction.set_autocommit(False)
        try:
            out = io.StringIO()
            core_demo.seed(out)
            warranty_demo.seed(out)
            first = io.StringIO()
            demo.seed(first)
            after_first = counts()
            second = io.StringIO()
            demo.seed(second)
            yield {"first": first.getvalue(), "second": second.getvalue(), "after_first": after_first}
        finally:
            transaction.rollback()
            transaction.set_autocommit(True)


def test_at_least_24_complaints_over_the_last_90_days(seeded):
    complaints = Complaint.objects.all()
    assert complaints.count() >= 24
    now = timezone.now()
    assert all(now - timedelta(days=91) <= complaint.created_at <= now for complaint in complaints)
    assert "complaints: 26 complaints over 90 days" in seeded["first"]


def test_every_category_severity_channel_and_state(seeded):
    complaints = list(Complaint.objects.all())
    assert {complaint.category for complaint in complaints} == set(Category.values)
    assert {complaint.severity for complaint in complaints} == set(Severity.values)
    assert {complaint.channel for complaint in complaints} == set(Channel.values)
    assert {complaint.status for complaint in complaints} == set(Status.values)
    reopened = [complaint for complaint in complaints if complaint.reopened_count]
    assert reopened and reopened[0].status == Status.INVESTIGATING
    assert any(complaint.objection_count for complaint in complaints)


def test_duplicates_are_linked_and_promises_were_broken_and_escalated(seeded):
    linked = Complaint.objects.get(status=Status.LINKED)
    assert linked.duplicate_of is not None and linked.duplicate_of.is_open
    breached = SlaClock.objects.filter(breached_at__isnull=False).count()
    assert breached >= 3
    assert BreachReport.objects.filter(done_at__isnull=False).exists()
    assert BreachReport.objects.filter(done_at__isnull=True).exists()
    assert Complaint.objects.filter(escalation_level__gt=0).count() >= 5


def test_compensation_above_the_limit_was_approved_or_awaits_approval(seeded):
    approved = Complaint.objects.get(compensation_amount=1200)
    assert approved.status == Status.CLOSED and approved.approved_by.username == "manager"
    assert Complaint.objects.get(status=Status.AWAITING_APPROVAL).compensation_amount == 800


def test_corrective_actions_open_overdue_done_and_verified_and_a_staff_record(seeded):
    now = timezone.now()
    actions = list(CorrectiveAction.objects.all())
    states = Counter(action.status for action in actions)
    assert states[CorrectiveStatus.VERIFIED] == 2 and states[CorrectiveStatus.DONE] == 1
    open_actions = [action for action in actions if action.status == CorrectiveStatus.OPEN]
    assert any(action.due_at < now for action in open_actions)  # overdue, and escalated by the sweep
    assert any(action.due_at > now for action in open_actions)
    assert any(action.escalation_level > 0 for action in open_actions)
    record = StaffComplaintRecord.objects.get()
    assert record.staff.username == "technician" and record.complaint.status == Status.CLOSED


def test_the_history_is_recorded_not_delivered(seeded):
    assert not OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).exists()


def test_seeding_again_changes_nothing(seeded):
    assert counts() == seeded["after_first"]
    assert "already loaded" in seeded["second"]
