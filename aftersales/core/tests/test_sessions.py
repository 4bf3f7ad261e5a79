"""Staff sessions end after ``SESSION_IDLE_TIMEOUT`` without activity and after ``SESSION_ABSOLUTE_TIMEOUT``
whatever the activity (issue #18 item 9: admin sessions lasted 14 days with no idle timeout)."""

from __future__ import annotations

import pytest
import time_machine

from aftersales.core.models import AuditEvent

pytestmark = pytest.mark.django_db

MINUTE = 60


@pytest.fixture(autouse=True)
def timeouts(settings):
    """The production defaults (the test settings lift them: other tests travel days while signed in)."""
    from aftersales.settings import base

    settings.SESSION_IDLE_TIMEOUT = base.SESSION_IDLE_TIMEOUT
    settings.SESSION_ABSOLUTE_TIMEOUT = base.SESSION_ABSOLUTE_TIMEOUT
    return settings


def admin_login(client, user):
    response = client.post("/admin/login/?next=/admin/", {"username": user.username, "password": "test-password"})
    assert response.status_code == 302, response.content[:300]


def signed_in(client) -> bool:
    response = client.get("/admin/")
    return response.status_code == 200


def test_the_defaults_are_thirty_minutes_idle_and_a_working_day_at_most():
    from aftersales.settings import base

    assert base.SESSION_IDLE_TIMEOUT == 30 * MINUTE
    assert base.SESSION_ABSOLUTE_TIMEOUT == 12 * 60 * MINUTE
    assert base.SESSION_COOKIE_AGE == base.SESSION_ABSOLUTE_TIMEOUT < 14 * 24 * 60 * MINUTE


def test_a_session_ends_after_the_idle_timeout(client, make_user):
    user = make_user("agent")
    with time_machine.travel("2026-11-24 09:00 +0800", tick=False) as traveller:
        admin_login(client, user)
        for _step in range(3):  # working: every 29 minutes something happens
            traveller.shift(29 * MINUTE)
            assert signed_in(client)
        traveller.shift(31 * MINUTE)
        response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/admin/login/")
    assert any("30 minutes" in str(message) or "30 分钟" in str(message) for message in response.context["messages"])
    event = AuditEvent.objects.get(action=AuditEvent.Action.SESSION_EXPIRED)
    assert (event.actor_id, event.details["reason"]) == (user.pk, "idle")
    assert event.details["idle_seconds"] >= 31 * MINUTE


def test_a_session_ends_after_the_absolute_timeout_however_busy(client, make_user, settings):
    settings.SESSION_ABSOLUTE_TIMEOUT = 60 * MINUTE
    user = make_user("supervisor")
    with time_machine.travel("2026-11-24 09:00 +0800", tick=False) as traveller:
        admin_login(client, user)
        for _step in range(5):
            traveller.shift(10 * MINUTE)
            assert signed_in(client)
        traveller.shift(11 * MINUTE)
        assert not signed_in(client)
    assert AuditEvent.objects.get(action=AuditEvent.Action.SESSION_EXPIRED).details["reason"] == "absolute"


def test_signing_in_again_starts_a_new_lifetime(client, make_user, settings):
    settings.SESSION_ABSOLUTE_TIMEOUT = 60 * MINUTE
    user = make_user("agent")
    with time_machine.travel("2026-11-24 09:00 +0800", tick=False) as traveller:
        admin_login(client, user)
        traveller.shift(50 * MINUTE)
        admin_login(client, user)  # same user, same browser: the session key is cycled
        traveller.shift(20 * MINUTE)
        assert signed_in(client)


def test_an_idle_session_is_refused_by_the_api_too(client, make_user):
    with time_machine.travel("2026-11-24 09:00 +0800", tick=False) as traveller:
        client.force_login(make_user("agent"))
        assert client.get("/api/v1/customers/").status_code == 200
        traveller.shift(31 * MINUTE)
        assert client.get("/api/v1/customers/").status_code in (401, 403)
    assert AuditEvent.objects.get(action=AuditEvent.Action.SESSION_EXPIRED).channel == "api"


def test_activity_is_noted_at_most_once_a_minute(client, make_user):
    from aftersales.core.sessions import SEEN_AT

    with time_machine.travel("2026-11-24 09:00 +0800", tick=False) as traveller:
        client.force_login(make_user("agent"))
        client.get("/admin/")
        seen = client.session[SEEN_AT]
        traveller.shift(30)
        client.get("/admin/")
        assert client.session[SEEN_AT] == seen
        traveller.shift(31)
        client.get("/admin/")
        assert client.session[SEEN_AT] == seen + 61


def test_customers_without_a_login_keep_their_portal_session(client):
    # The portal's anonymous session (the link shown once after a request) has no timeout of its own.
    with time_machine.travel("2026-11-24 09:00 +0800", tick=False) as traveller:
        session = client.session
        session["tickets_portal_created"] = {"number": "T1", "token": "x", "serial": ""}
        session.save()
        traveller.shift(45 * MINUTE)
        client.get("/")
        assert "tickets_portal_created" in client.session
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SESSION_EXPIRED).exists()
