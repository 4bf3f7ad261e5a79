"""``manage.py seed_demo``: idempotent, creates the demo users of CONTRACT §2 and prints their logins."""

import io
import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from aftersales.core.models import CalendarDay, Customer, SlaClock
from devdata.demo.core import DEMO_PASSWORD
from emergency.models import ChecklistItem, Incident, IncidentEvent, PlanItem, ResponsePlan


def run_command(name: str, *args) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def demo_counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "customers": Customer.objects.count(),
        "calendar_days": CalendarDay.objects.count(),
        "groups": Group.objects.count(),
        "incidents": Incident.objects.count(),
        "incident_events": IncidentEvent.objects.count(),
        "plans": ResponsePlan.objects.count(),
        "plan_items": PlanItem.objects.count(),
        "checklist_items": ChecklistItem.objects.count(),
        "clocks": SlaClock.objects.count(),
    }


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_creates_the_demo_users():
    first_output = run_command("seed_demo")
    after_first = demo_counts()
    second_output = run_command("seed_demo")

    assert demo_counts() == after_first
    assert after_first["customers"] > 0
    assert after_first["incidents"] == 2 and after_first["plans"] == 9  # CONTRACT §1: a plan per type
    # This year's and next year's holidays, so deadlines near New Year are counted correctly.
    this_year = date.today().year
    assert CalendarDay.objects.filter(date__year=this_year).exists()
    assert CalendarDay.objects.filter(date__year=this_year + 1).exists()

    users = {user.username: user for user in get_user_model().objects.prefetch_related("groups")}
    for username in ("admin", "agent", "technician", "supervisor", "manager", "coordinator"):
        user = users[username]
        assert user.check_password("aftersales-demo"), username
        assert user.is_staff and user.is_active
        if username == "admin":
            assert user.is_superuser
        else:
            assert not user.is_superuser
            assert [group.name for group in user.groups.all()] == [username]
        # It prints the logins, every run, so a newcomer sees how to sign in.
        assert re.search(rf"^\s+{username}\s", second_output, re.MULTILINE)
    assert DEMO_PASSWORD == "aftersales-demo"
    assert "aftersales-demo" in first_output and "aftersales-demo" in second_output


@pytest.mark.django_db
def test_seed_demo_does_not_reset_a_changed_demo_password():
    run_command("seed_demo")
    admin = get_user_model().objects.get(username="admin")
    admin.set_password("changed-by-the-operator")
    admin.save()

    run_command("seed_demo")

    admin.refresh_from_db()
    assert admin.check_password("changed-by-the-operator")
