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
