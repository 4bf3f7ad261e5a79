"""Fixtures of the tickets tests: the real SMTP server, Redis broker and Celery worker of core's tests."""

import importlib

import pytest
from django.apps import apps

from aftersales.core.calendars.services import calendar_ensure_defaults
from aftersales.core.tests.conftest import (  # noqa: F401 - fixtures are found by name
    celery_broker,
    isolated_redis_url,
    smtp,
    smtp_server,
    wait_until,
)
from aftersales.core.tests.test_celery_integration import worker_process  # noqa: F401


@pytest.fixture
def committed_sla_matrix(transactional_db):
    """The calendars and the default SLA matrix as the data migrations made them.

    pytest-django runs transactional tests last; each one's flush empties the tables for the next,
    migration data included.
    """
    calendar_ensure_defaults()
    importlib.import_module("tickets.migrations.0002_default_sla_matrix").create_matrix(apps, None)
