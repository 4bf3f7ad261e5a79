"""Staff API tokens: hashed, expiring, a new one per login, revocable (issue #18 item 9).

DRF's ``authtoken`` stored every key in clear, handed the same key to every login and never expired
it. CONTRACT.md §4 stays: ``POST /api/v1/auth/token/ {"username", "password"}`` → ``{"token"}``, then
``Authorization: Token <token>``.
"""

from __future__ import annotations

import hashlib

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import connection
from rest_framework.test import APIClient

from aftersales.core.models import ApiToken, AuditEvent
from aftersales.core.tokens import api_token_issue

pytestmark = pytest.mark.django_db

PASSWORD = "test-password"
TOKEN_URL = "/api/v1/auth/token/"


def login(user, **extra) -> str:
    response = APIClient().post(TOKEN_URL, {"username": user.username, "password": PASSWORD}, format="json", **extra)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def status_of(token: str) -> tuple[int, str]:
    response = with_token(token).get("/api/v1/customers/")
    return response.status_code, response.json().get("code", "") if response.status_code != 200 else ""


@pytest.fixture
def agent(make_user):
    return make_user("agent")


def test_the_token_is_stored_only_as_a_digest(agent):
    token = login(agent)
    row = ApiToken.objects.get(user=agent)
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    assert row.prefix == token[:6]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")  # noqa: S608 - our own table name
        assert not any(token in str(value) for row in cursor.fetchall() for value in row)
    assert len(token) >= 43  # 256 bits, URL-safe


def test_every_login_gets_a_new_token_and_the_earlier_ones_stay_valid(agent):
    first, second = login(agent), login(agent)
    assert first != second
    assert status_of(first) == status_of(second) == (200, "")


def test_the_login_answer_says_when_the_token_expires(agent):
    with time_machine.travel("2026-11-24 08:00 +0800", tick=False):
        response = APIClient().post(TOKEN_URL, {"username": agent.username, "password": PASSWORD}, format="json")
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    assert body["expires_at"].startswith("2026-11-24T20:00:00")  # 12 hours, the default API_TOKEN_TTL


def test_a_token_expires_after_the_ttl(agent, settings):
    settings.API_TOKEN_TTL = 3600
    with time_machine.travel("2026-11-24 09:00 +0800", tick=False) as traveller:
        token = login(agent)
        traveller.shift(3599)
        assert status_of(token) == (200, "")
        traveller.shift(1)
        assert status_of(token) == (401, "token_expired")
        # A new login is the way back in.
        assert status_of(login(agent)) == (200, "")


def test_logout_revokes_the_token_used_and_only_that_one(agent):
    kept, ended = login(agent), login(agent)
    response = with_token(ended).post("/api/v1/auth/logout/")
    assert response.status_code == 204
    assert status_of(ended) == (401, "token_revoked")
    assert status_of(kept) == (200, "")
    assert ApiToken.objects.get(prefix=ended[:6], user=agent).revoked_reason == ApiToken.Ended.LOGOUT
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGOUT, actor_id=agent.pk)
    assert event.details == {"method": "token", "token": ended[:6]}
    assert with_token(ended).post("/api/v1/auth/logout/").status_code == 401


def test_logout_all_revokes_every_token_of_the_user(agent, make_user):
    tokens = [login(agent) for _ in range(3)]
    colleague = login(make_user("agent"))
    response = with_token(tokens[0]).post("/api/v1/auth/logout-all/")
    assert (response.status_code, response.json()) == (200, {"revoked": 3})
    assert {status_of(token) for token in tokens} == {(401, "token_revoked")}
    assert status_of(colleague) == (200, "")


def test_logout_through_a_session_ends_the_session(client, agent):
    client.force_login(agent)
    assert client.get("/api/v1/customers/").status_code == 200
    response = client.post("/api/v1/auth/logout/")
    assert response.status_code == 204
    assert client.get("/api/v1/customers/").status_code in (401, 403)


def test_logout_needs_a_login():
    for path in ("/api/v1/auth/logout/", "/api/v1/auth/logout-all/"):
        assert APIClient().post(path).status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(agent):
    with time_machine.travel("2026-11-24 09:00 +0800", tick=False) as traveller:
        token = login(agent)
        row = ApiToken.objects.get(user=agent)
        assert row.last_used_at is None
        with_token(token).get("/api/v1/customers/", REMOTE_ADDR="10.1.2.3")
        row.refresh_from_db()
        first_use = row.last_used_at
        assert (first_use is not None, row.last_used_ip) == (True, "10.1.2.3")
        traveller.shift(30)
        with_token(token).get("/api/v1/customers/", REMOTE_ADDR="10.1.2.3")
        row.refresh_from_db()
        assert row.last_used_at == first_use
        traveller.shift(60)
        with_token(token).get("/api/v1/customers/", REMOTE_ADDR="10.1.2.3")
        row.refresh_from_db()
        assert row.last_used_at > first_use


def test_too_many_tokens_replace_the_oldest(agent, settings):
    settings.API_TOKEN_MAX_PER_USER = 2
    with time_machine.travel("2026-11-24 09:00 +0800", tick=True):
        oldest, middle, newest = login(agent), login(agent), login(agent)
        assert status_of(oldest) == (401, "token_revoked")
        assert status_of(middle) == status_of(newest) == (200, "")
    assert ApiToken.objects.get(prefix=oldest[:6], user=agent).revoked_reason == ApiToken.Ended.REPLACED


def test_ended_tokens_are_purged_after_the_keep_period(agent, settings):
    settings.API_TOKEN_KEEP_DAYS = 30
    with time_machine.travel("2026-11-01 09:00 +0800", tick=False) as traveller:
        login(agent)
        traveller.shift(31 * 86400)
        login(agent)
    assert ApiToken.objects.filter(user=agent).count() == 1


def test_an_inactive_users_token_is_refused(agent):
    token = login(agent)
    agent.is_active = False
    agent.save()
    assert status_of(token)[0] == 401


def test_the_admin_lists_tokens_without_their_secrets_and_revokes_them(client, agent, make_user):
    token = login(agent)
    row = ApiToken.objects.get(user=agent)
    client.force_login(make_user(superuser=True))
    pages = ("/admin/core/apitoken/", f"/admin/core/apitoken/{row.pk}/change/", f"/admin/auth/user/{agent.pk}/change/")
    for path in pages:
        page = client.get(path)
        assert page.status_code == 200, path
        html = page.content.decode()
        assert token not in html and row.digest not in html, path
        assert row.prefix in html, path
    response = client.post("/admin/core/apitoken/", {"action": "revoke", "_selected_action": [row.pk]}, follow=True)
    assert response.status_code == 200
    assert status_of(token) == (401, "token_revoked")
    event = AuditEvent.objects.get(action=AuditEvent.Action.TOKEN_REVOKED)
    assert event.details == {"holder": agent.username, "token": row.prefix}


def test_no_role_sees_the_token_pages(client, make_user):
    for role in ("agent", "technician", "supervisor", "manager", "coordinator"):
        client.force_login(make_user(role))
        assert client.get("/admin/core/apitoken/").status_code == 403, role


def test_tokens_issued_by_the_service_work_like_logins(agent):
    issued = api_token_issue(user=agent)
    assert status_of(issued.key) == (200, "")


def test_drf_plaintext_tokens_are_gone():
    assert "rest_framework.authtoken" not in django_settings.INSTALLED_APPS
    assert "authtoken_token" not in connection.introspection.table_names()
