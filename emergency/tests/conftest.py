"""Fixtures of the emergency tests: staff in each role."""

import pytest


@pytest.fixture
def staff(make_user):
    return {
        "coordinator": make_user("coordinator"),
        "coordinator2": make_user("coordinator"),
        "supervisor": make_user("supervisor"),
        "manager": make_user("manager"),
        "technician": make_user("technician"),
        "agent": make_user("agent"),
    }


@pytest.fixture(autouse=True)
def english():
    """The tests read refusals and notes in English; the site's default language is Chinese."""
    from django.utils import translation

    with translation.override("en"):
        yield
