"""Failures Django answers before (or around) DRF, in the API's JSON shape (issue #18 item 8).

A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, a bad ``Host``, a CSRF failure, an unknown URL, a
wrong method and a server error all answer ``{"detail", "code"}`` under ``/api/``; the portal and
the admin keep their HTML pages. Nothing of a too-large request is written.
"""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

LIMIT = 2_000
_SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
WRITE_OPERATIONS = [
    (method.upper(), path, sorted(operation["requestBody"]["content"]))
    for path, methods in _SCHEMA["paths"].items()
    for method, operation in methods.items()
    if method in {"post", "put", "patch"} and "requestBody" in operation
]


def assert_json_error(response, status: int | None = None) -> dict:
    assert response["Content-Type"].startswith("application/json"), (response.status_code, response.content[:200])
    if status is not None:
        assert response.status_code == status, response.content[:300]
    assert 400 <= response.status_code < 600
    body = json.loads(response.content)
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["code"], str) and body["code"]
    return body


def rows_everywhere() -> int:
    return sum(model.objects.count() for model in apps.get_models() if model._meta.managed)


@pytest.fixture
def small_uploads(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    return settings


def fill(path: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize(("method", "path", "content_types"), WRITE_OPERATIONS, ids=lambda value: str(value))
def test_every_write_operation_answers_a_too_large_body_with_the_json_shape(
    make_user, small_uploads, method, path, content_types
):
    client = APIClient()
    client.force_authenticate(make_user(superuser=True))
    before = rows_everywhere()
    url = fill(path)
    big = "x" * (LIMIT * 2)
    if "application/json" in content_types:
        response = client.generic(method, url, json.dumps({"description": big}), content_type="application/json")
        body = assert_json_error(response)
        if "{" not in path:  # nothing to look up first: the body is read, and refused
            assert (response.status_code, body["code"]) == (413, "request_too_large")
    if "multipart/form-data" in content_types:
        response = getattr(client, method.lower())(url, {"description": big}, format="multipart")
        body = assert_json_error(response)
        if "{" not in path:
            assert (response.status_code, body["code"]) == (413, "request_too_large")
    assert rows_everywhere() == before


def test_a_too_large_public_request_writes_nothing(small_uploads):
    before = rows_everywhere()
    payload = {"type": "repair", "name": "张三", "phone": "13800138000", "description": "x" * (LIMIT * 2)}
    response = APIClient().post("/api/v1/public/requests/", payload, format="json")
    assert assert_json_error(response, 413)["code"] == "request_too_large"
    assert rows_everywhere() == before


def test_the_token_endpoint_answers_a_too_large_body_with_json(small_uploads):
    body = json.dumps({"username": "agent", "password": "p" * (LIMIT * 2)})
    response = APIClient().generic("POST", "/api/v1/auth/token/", body, content_type="application/json")
    assert assert_json_error(response, 413)["code"] == "request_too_large"


def test_the_portal_keeps_its_html_page_for_a_too_large_body(small_uploads):
    before = rows_everywhere()
    response = Client().post("/request/", {"description": "x" * (LIMIT * 2)})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert rows_everywhere() == before


@pytest.mark.urls("aftersales.core.tests.error_urls")
def test_a_plain_view_under_the_api_answers_a_too_large_form_with_json(small_uploads):
    response = Client().post("/api/test/plain-post/", {"field": "x" * (LIMIT * 2)})
    assert assert_json_error(response, 413)["code"] == "request_too_large"
    assert Client().post("/test/plain-post/", {"field": "x" * (LIMIT * 2)})["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("path", ["/api/v1/customers/", "/api/v1/public/warranty/X1/", "/api/v1/no-such-thing/"])
def test_a_bad_host_answers_json_under_the_api(path):
    response = Client().get(path, HTTP_HOST="evil.example")
    assert assert_json_error(response, 400)["code"] == "invalid_host"


def test_a_bad_host_keeps_the_html_page_elsewhere():
    response = Client().get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_csrf_failure_of_a_session_on_the_api_answers_json(make_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("agent"))
    response = client.post("/api/v1/customers/", {"name": "x", "phone": "13800138000"})
    assert assert_json_error(response, 403)["detail"].startswith("CSRF")


@pytest.mark.urls("aftersales.core.tests.error_urls")
def test_a_csrf_failure_of_a_plain_view_under_the_api_answers_json():
    response = Client(enforce_csrf_checks=True).post("/api/test/plain-post/", {"field": "x"})
    assert assert_json_error(response, 403)["code"] == "csrf_failed"
    html = Client(enforce_csrf_checks=True).post("/test/plain-post/", {"field": "x"})
    assert html.status_code == 403 and html["Content-Type"].startswith("text/html")


@pytest.mark.urls("aftersales.core.tests.error_urls")
def test_a_wrong_method_on_a_plain_view_under_the_api_answers_json():
    response = Client().get("/api/test/plain-post/")
    assert assert_json_error(response, 405)["code"] == "method_not_allowed"
    assert response["Allow"] == "POST"


@pytest.mark.parametrize(("method", "path"), [("put", "/api/v1/auth/token/"), ("delete", "/api/v1/customers/")])
def test_a_wrong_method_on_the_api_answers_json(api_as, method, path):
    client = api_as(superuser=True)  # past every permission check: the method itself is refused
    assert assert_json_error(getattr(client, method)(path), 405)["code"] == "method_not_allowed"


@pytest.mark.parametrize("path", ["/api/v1/no-such-resource/", "/api/nothing/", "/api/v1/customers/1/x/"])
def test_an_unknown_api_url_answers_json(path):
    assert assert_json_error(Client().get(path), 404)["code"] == "not_found"


@pytest.mark.urls("aftersales.core.tests.error_urls")
def test_a_permission_denied_of_a_plain_view_under_the_api_answers_json():
    assert assert_json_error(Client().get("/api/test/forbidden/"), 403)["code"] == "permission_denied"


@pytest.mark.urls("aftersales.core.tests.error_urls")
def test_a_server_error_answers_json_under_the_api_and_html_elsewhere():
    client = Client(raise_request_exception=False)
    assert assert_json_error(client.get("/api/test/crash/"), 500)["code"] == "server_error"
    page = client.get("/test/crash/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


def test_drf_content_negotiation_is_left_alone():
    # A browser asking for HTML gets DRF's browsable page for an error too; API clients get JSON.
    page = Client().get("/api/v1/customers/", HTTP_ACCEPT="text/html")
    assert page.status_code in (401, 403) and page["Content-Type"].startswith("text/html")
    assert_json_error(Client().get("/api/v1/customers/", HTTP_ACCEPT="application/json"), 401)
