"""Fixtures shared by every app's tests."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from aftersales.core import roles
from aftersales.core.calendars.services import calendar_ensure_defaults
from aftersales.core.tests.browser import browser  # noqa: F401 - the browser tests' shared fixture

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(*args) -> datetime:
    """An aware datetime in Asia/Shanghai: ``shanghai(2026, 11, 24, 9, 30)``."""
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def calendars(db):
    """The default business-hours calendar (Mon–Fri 09:00–18:00) and the 7×24 calendar."""
    return calendar_ensure_defaults()


@pytest.fixture
def business_calendar(calendars):
    return calendars[0]


@pytest.fixture
def always_calendar(calendars):
    return calendars[1]


@pytest.fixture
def make_user(db, django_user_model):
    """``make_user("agent")`` → a staff user in that role group (the groups come from a migration)."""

    def make(role: str | None = None, *, username: str | None = None, superuser: bool = False):
        user = django_user_model.objects.create_user(
            username=username or f"{role or 'user'}-{django_user_model.objects.count() + 1}",
            password="test-password",
            is_staff=role is not None or superuser,
            is_superuser=superuser,
        )
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    return make


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(make_user, api_client):
    """``api_as("agent")`` → an APIClient authenticated as a new user of that role."""

    def login(role: str | None = None, **kwargs) -> APIClient:
        api_client.force_authenticate(make_user(role, **kwargs))
        return api_client

    return login


ALL_ROLES = roles.ROLES
