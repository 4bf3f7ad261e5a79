"""Fixtures of the portal tests: core's real SMTP server."""

from aftersales.core.tests.conftest import smtp, smtp_server  # noqa: F401 - fixtures are found by name
