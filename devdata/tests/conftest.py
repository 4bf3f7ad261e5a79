"""Fixtures of the development-data tests, shared with the tickets tests."""

from tickets.tests.conftest import committed_sla_matrix  # noqa: F401 - fixtures are found by name
