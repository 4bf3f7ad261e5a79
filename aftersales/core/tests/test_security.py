"""Security hardening (issue #6): headers, login lockout, the audit log, append-only event tables."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
import uuid

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from aftersales.core.appendonly import install_sql
from aftersales.core.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "test-password"
_addresses = itertools.count(1)


def fresh_address() -> str:
    """A client address of its own per test: lockout counters live in the shared Redis cache."""
    return f"10.{uuid.uuid4().int % 250}.{next(_addresses) % 250}.{uuid.uuid4().int % 250 + 1}"


# --- headers ------------------------------------------------------------------------------------

CSP_DIRECTIVES = {"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"}


def assert_security_headers(response, *, frame_options: bool = True) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {part.strip() for part in policy.split(";")}
    assert directives >= CSP_DIRECTIVES, policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    if frame_options:
        assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "path",
    ["/", "/request/", "/track/not-a-real-token/", "/admin/login/", "/api/schema/", "/api/docs/", "/api/docs/?script"],
)
def test_pages_send_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code in (200, 404)
    assert_security_headers(response)


def test_staff_pages_and_api_responses_send_the_security_headers(client, api_client, make_user):
    admin = make_user(superuser=True)
    client.force_login(admin)
    assert_security_headers(client.get("/admin/"))
    assert_security_headers(client.get("/admin/tickets/ticket/"))
    assert_security_headers(api_client.get("/api/v1/tickets/"))  # 401 without a token
    api_client.force_authenticate(admin)
    response = api_client.get("/api/v1/tickets/")
    assert response.status_code == 200
    assert_security_headers(response)
    assert_security_headers(api_client.get("/api/v1/public/warranty/NO-SUCH-SERIAL/"))


def test_static_files_send_the_security_headers(client):
    response = client.get("/static/portal/portal.js")
    assert response.status_code == 200
    # WhiteNoise answers before Django's X-Frame-Options middleware; CSP frame-ancestors covers it.
    assert_security_headers(response, frame_options=False)


def test_swagger_ui_page_has_no_inline_script_or_style(client):
    html = client.get("/api/docs/").content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert "<style" not in html
    assert client.get("/api/docs/?script")["Content-Type"].startswith("application/javascript")


def test_portal_pages_have_no_inline_script_or_handler(client):
    for path in ["/", "/request/"]:
        html = client.get(path).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+=", html), path
        assert "<style" not in html and " style=" not in html, path


def test_hsts_over_https_in_production(client, settings):
    # The values prod.py sets (the deploy check below proves prod.py itself passes).
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get("/", secure=True)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000; includeSubDomains")


def test_prod_settings_send_hsts_and_csp():
    code = (
        "from django.conf import settings as s;"
        "assert s.SECURE_HSTS_SECONDS >= 31536000 and s.SECURE_HSTS_INCLUDE_SUBDOMAINS;"
        "assert 'aftersales.core.security.ContentSecurityPolicyMiddleware' in s.MIDDLEWARE;"
        "assert \"frame-ancestors 'none'\" in s.CONTENT_SECURITY_POLICY;print('ok')"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "aftersales.settings.prod",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "service.example.com",
        "DATABASE_URL": "postgres://u@127.0.0.1/x",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import django;django.setup();{code}"], env=env, capture_output=True, text=True
    )
    assert result.stdout.strip() == "ok", result.stderr


# --- nothing personal in a cache (issue #18 item 9) --------------------------------------------


def assert_not_stored(response) -> None:
    assert "no-store" in response.headers.get("Cache-Control", ""), (response.status_code, response.headers)
    assert response.headers.get("Pragma") == "no-cache"


def test_authenticated_api_responses_are_never_stored(api_client, make_user):
    from aftersales.core.services import customer_create

    customer = customer_create(name="赵敏", phone="13800138001")
    api_client.force_authenticate(make_user("agent"))
    for path in ("/api/v1/customers/", f"/api/v1/customers/{customer.pk}/", "/api/v1/tickets/", "/api/v1/customers/0/"):
        assert_not_stored(api_client.get(path))
    assert_not_stored(api_client.post("/api/v1/customers/", {"name": ""}, format="json"))  # a 400 echoes input


def test_api_responses_to_a_token_are_never_stored(make_user):
    from rest_framework.test import APIClient

    user = make_user("agent")
    client = APIClient()
    token = client.post(reverse("api-token"), {"username": user.username, "password": PASSWORD}).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert_not_stored(client.get("/api/v1/customers/"))
    client.credentials(HTTP_AUTHORIZATION="Token not-a-valid-token-at-all")
    assert_not_stored(client.get("/api/v1/customers/"))


def test_session_api_responses_are_never_stored(client, make_user):
    client.force_login(make_user("manager"))
    assert_not_stored(client.get("/api/v1/customers/"))


def test_admin_pages_are_never_stored(client, make_user):
    assert_not_stored(client.get("/admin/login/"))
    client.force_login(make_user(superuser=True))
    for path in ("/admin/", "/admin/core/customer/", "/admin/tickets/ticket/"):
        assert_not_stored(client.get(path))


# --- login lockout ------------------------------------------------------------------------------


@pytest.fixture
def lockout(settings):
    settings.LOGIN_LOCKOUT_FAILURES = 3
    settings.LOGIN_LOCKOUT_IP_FAILURES = 6
    settings.LOGIN_LOCKOUT_USERNAME_FAILURES = 4
    settings.LOGIN_LOCKOUT_WINDOW = 600
    settings.LOGIN_LOCKOUT_COOLDOWN = 600
    return settings


def staff_user(make_user):
    return make_user("agent", username=f"agent-{uuid.uuid4().hex[:8]}")


def admin_login(client, username, password, address):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password}, REMOTE_ADDR=address)


def refused(response) -> bool:
    return response.status_code == 200 and "_auth_user_id" not in response.wsgi_request.session


def test_admin_login_locks_an_address_out_for_a_username_after_repeated_failures(client, make_user, lockout):
    user = staff_user(make_user)
    address = fresh_address()
    for _attempt in range(3):
        response = admin_login(client, user.username, "wrong", address)
        assert response.status_code == 200
    # Locked: even the right password is refused from there, with a message that says why.
    response = admin_login(client, user.username, PASSWORD, address)
    assert refused(response)
    message = response.context["form"].errors["__all__"][0]
    assert message.startswith(("Too many failed login attempts", "登录失败次数过多")), message
    assert any(error.code == "locked_out" for error in response.context["form"].non_field_errors().as_data())
    events = AuditEvent.objects.filter(username=user.username)
    locked = events.get(action=AuditEvent.Action.LOCKED_OUT)
    assert [item["subject"] for item in locked.details["locked"]] == ["pair"]
    assert events.filter(action=AuditEvent.Action.LOGIN_FAILED, details__reason="locked_out").count() == 1


def test_failures_from_one_address_do_not_lock_the_real_user_out_elsewhere(make_user, lockout):
    """Anyone could lock any known username for the cooldown with a few wrong passwords (#18 item 9)."""
    from django.test import Client

    user = staff_user(make_user)
    attacker = fresh_address()
    for _attempt in range(10):
        admin_login(Client(), user.username, "wrong", attacker)
    assert admin_login(Client(), user.username, PASSWORD, fresh_address()).status_code == 302


def test_a_known_device_gets_past_a_username_locked_from_many_addresses(make_user, lockout):
    from django.test import Client

    user = staff_user(make_user)
    own_browser = Client()
    assert admin_login(own_browser, user.username, PASSWORD, fresh_address()).status_code == 302
    cookie = own_browser.cookies[settings_module().LOGIN_DEVICE_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) > 30 * 86400
    own_browser.post("/admin/logout/")
    # Guessing from many addresses, a few tries each: the username is locked for unknown devices.
    for _attempt in range(4):
        admin_login(Client(), user.username, "wrong", fresh_address())
    assert refused(admin_login(Client(), user.username, PASSWORD, fresh_address()))
    # The real user's browser, from wherever they are, still gets in.
    assert admin_login(own_browser, user.username, PASSWORD, fresh_address()).status_code == 302
    locked = AuditEvent.objects.get(username=user.username, action=AuditEvent.Action.LOCKED_OUT)
    assert [item["subject"] for item in locked.details["locked"]] == ["user"]


def test_a_known_device_is_bounded_by_its_own_counter(make_user, lockout):
    from django.test import Client

    user = staff_user(make_user)
    browser = Client()
    assert admin_login(browser, user.username, PASSWORD, fresh_address()).status_code == 302
    browser.post("/admin/logout/")
    for _attempt in range(3):
        admin_login(browser, user.username, "wrong", fresh_address())
    assert refused(admin_login(browser, user.username, PASSWORD, fresh_address()))
    # Other browsers are not affected by that device's failures.
    assert admin_login(Client(), user.username, PASSWORD, fresh_address()).status_code == 302


def test_a_device_cookie_counts_only_for_the_users_it_names_and_only_when_signed(make_user, lockout):
    from django.test import Client

    user, other = staff_user(make_user), staff_user(make_user)
    browser = Client()
    assert admin_login(browser, user.username, PASSWORD, fresh_address()).status_code == 302
    browser.post("/admin/logout/")  # the device cookie stays, as in a browser
    name = settings_module().LOGIN_DEVICE_COOKIE_NAME
    for _attempt in range(4):
        admin_login(Client(), other.username, "wrong", fresh_address())
    assert refused(admin_login(browser, other.username, PASSWORD, fresh_address()))  # not a device of theirs
    forged = Client()
    forged.cookies[name] = browser.cookies[name].value[:-2] + "xx"
    for _attempt in range(4):
        admin_login(Client(), user.username, "wrong", fresh_address())
    assert refused(admin_login(forged, user.username, PASSWORD, fresh_address()))
    assert admin_login(browser, user.username, PASSWORD, fresh_address()).status_code == 302


def settings_module():
    from django.conf import settings

    return settings


def test_lockout_ends_after_the_cooldown(client, make_user, lockout):
    import time_machine

    user = staff_user(make_user)
    address = fresh_address()
    with time_machine.travel("2026-11-24 09:00 +0800", tick=False) as traveller:
        for _attempt in range(3):
            admin_login(client, user.username, "wrong", address)
        assert admin_login(client, user.username, PASSWORD, address).status_code == 200  # refused
        traveller.shift(601)
        # The cache's own expiry uses real time; the lock stores its end as well and is checked by it.
        response = admin_login(client, user.username, PASSWORD, address)
    assert response.status_code == 302
    assert AuditEvent.objects.filter(username=user.username, action=AuditEvent.Action.LOGIN).exists()


def test_a_successful_login_resets_the_count_of_its_address(client, make_user, lockout):
    # The username's count from every address is not reset: the real user signing in must not
    # wipe the count of someone guessing elsewhere (a known device is exempt from that one anyway).
    lockout.LOGIN_LOCKOUT_USERNAME_FAILURES = 100
    user = staff_user(make_user)
    address = fresh_address()
    for _round in range(2):
        for _attempt in range(2):
            admin_login(client, user.username, "wrong", address)
        assert admin_login(client, user.username, PASSWORD, address).status_code == 302
        client.logout()
    assert not AuditEvent.objects.filter(username=user.username, action=AuditEvent.Action.LOCKED_OUT).exists()


def test_one_address_trying_many_usernames_is_locked_out(client, make_user, lockout):
    address = fresh_address()
    for attempt in range(6):
        admin_login(client, f"nobody-{uuid.uuid4().hex[:6]}-{attempt}", "wrong", address)
    user = staff_user(make_user)
    assert admin_login(client, user.username, PASSWORD, address).status_code == 200  # refused
    assert admin_login(client, user.username, PASSWORD, fresh_address()).status_code == 302


def test_the_token_endpoint_sets_the_known_device_cookie_too(api_client, make_user, lockout):
    user = staff_user(make_user)
    response = api_client.post(reverse("api-token"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200
    assert settings_module().LOGIN_DEVICE_COOKIE_NAME in response.cookies


def test_api_token_endpoint_locks_out_with_429_json(api_client, make_user, lockout):
    user = staff_user(make_user)
    address = fresh_address()
    url = reverse("api-token")
    for _attempt in range(3):
        response = api_client.post(url, {"username": user.username, "password": "wrong"}, REMOTE_ADDR=address)
    response = api_client.post(url, {"username": user.username, "password": PASSWORD}, REMOTE_ADDR=address)
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "locked_out"
    assert isinstance(body["detail"], str) and body["detail"]
    assert 0 < int(response["Retry-After"]) <= 600
    # The admin refuses the same username from that address: one count for every way in.
    assert "_auth_user_id" not in admin_login(api_client, user.username, PASSWORD, address).wsgi_request.session


def test_api_token_failures_below_the_limit_are_400_and_success_is_audited(api_client, make_user, lockout):
    user = staff_user(make_user)
    address = fresh_address()
    url = reverse("api-token")
    response = api_client.post(url, {"username": user.username, "password": "wrong"}, REMOTE_ADDR=address)
    assert response.status_code == 400
    assert response.json()["code"] == "authorization"
    response = api_client.post(url, {"username": user.username, "password": PASSWORD}, REMOTE_ADDR=address)
    assert response.status_code == 200
    login = AuditEvent.objects.get(username=user.username, action=AuditEvent.Action.LOGIN)
    assert (login.actor_id, login.channel, login.ip_address) == (user.pk, "api", address)
    assert login.details == {"method": "token", "token": response.json()["token"][:6]}
    failed = AuditEvent.objects.get(username=user.username, action=AuditEvent.Action.LOGIN_FAILED)
    assert (failed.channel, failed.ip_address, failed.actor_id) == ("api", address, None)


# --- audit log ----------------------------------------------------------------------------------


def test_admin_login_and_logout_are_audited(client, make_user):
    user = staff_user(make_user)
    address = fresh_address()
    assert admin_login(client, user.username, PASSWORD, address).status_code == 302
    client.post("/admin/logout/", REMOTE_ADDR=address)
    actions = list(
        AuditEvent.objects.filter(actor_id=user.pk).order_by("id").values_list("action", "channel", "ip_address")
    )
    assert actions == [("login", "admin", address), ("logout", "admin", address)]


def test_an_api_permission_denial_is_audited(api_as):
    client = api_as("technician")
    response = client.post("/api/v1/tickets/", {}, format="json")
    assert response.status_code == 403
    event = AuditEvent.objects.get(action=AuditEvent.Action.PERMISSION_DENIED)
    assert event.channel == "api"
    assert event.path == "/api/v1/tickets/"
    assert event.username.startswith("technician")
    assert event.details["method"] == "POST"


def test_an_admin_permission_denial_is_audited(client, make_user):
    user = make_user("technician")
    client.force_login(user)
    response = client.get("/admin/core/auditevent/")
    assert response.status_code == 403
    event = AuditEvent.objects.get(action=AuditEvent.Action.PERMISSION_DENIED)
    assert (event.actor_id, event.channel, event.path) == (user.pk, "admin", "/admin/core/auditevent/")


def test_audit_log_is_read_only_in_the_admin_for_superusers_and_managers(client, make_user):
    AuditEvent.objects.create(action=AuditEvent.Action.LOGIN_FAILED, username="mallory")
    event = AuditEvent.objects.get()
    for user in (make_user(superuser=True), make_user("manager")):
        client.force_login(user)
        assert client.get("/admin/core/auditevent/").status_code == 200
        assert client.get(f"/admin/core/auditevent/{event.pk}/change/").status_code == 200
        assert client.get("/admin/core/auditevent/add/").status_code == 403
        assert client.post(f"/admin/core/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Group.objects.get(name="manager").permissions.filter(codename="view_auditevent").exists()
    for role in ("agent", "technician", "supervisor", "coordinator"):
        client.force_login(make_user(role))
        assert client.get("/admin/core/auditevent/").status_code == 403
    assert AuditEvent.objects.filter(username="mallory").count() == 1


# --- append-only event tables -------------------------------------------------------------------

APPEND_ONLY = [
    "core.AuditEvent",
    "core.ClockEvent",
    "core.DeliveryAttempt",
    "tickets.TicketEvent",
    "warranty.EntitlementDecision",
    "warranty.WarrantyChange",
    "complaints.ComplaintEvent",
    "complaints.StaffComplaintRecord",
]


def table_triggers(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [table])
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.parametrize("label", APPEND_ONLY)
def test_event_tables_have_the_append_only_trigger(label):
    table = apps.get_model(label)._meta.db_table
    assert f"{table}_no_change" in table_triggers(table)


def test_update_and_delete_of_an_audit_event_are_refused_by_the_database():
    AuditEvent.objects.create(action=AuditEvent.Action.LOGIN_FAILED, username="eve")
    event = AuditEvent.objects.get()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(username="someone else")
    event.username = "changed"
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        event.save()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        event.delete()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().username == "eve"


def test_ticket_and_clock_events_refuse_update_and_delete(always_calendar, make_user):
    from django.utils import timezone

    from aftersales.core.models import ClockEvent
    from tickets.models import TicketEvent
    from tickets.tests.factories import staff, ticket_in

    ticket = ticket_in("acknowledged", staff=staff(make_user), now=timezone.now())
    for model in (TicketEvent, ClockEvent):
        assert model.objects.exists(), model
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            model.objects.update(note="rewritten")
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            model.objects.all()._raw_delete(model.objects.db)
    assert ticket.events.exists()


def test_truncate_still_works_for_test_flushes():
    AuditEvent.objects.create(action=AuditEvent.Action.LOGIN_FAILED, username="trudy")
    with connection.cursor() as cursor:
        cursor.execute('TRUNCATE "core_auditevent"')
    assert not AuditEvent.objects.exists()


def test_the_sqlite_triggers_refuse_update_and_delete():
    import sqlite3

    database = sqlite3.connect(":memory:")
    database.execute('CREATE TABLE "core_auditevent" (id INTEGER PRIMARY KEY, username TEXT)')
    for statement in install_sql("sqlite", "core_auditevent"):
        database.execute(statement)
    database.execute("INSERT INTO core_auditevent (username) VALUES ('eve')")
    for statement in ("UPDATE core_auditevent SET username = 'x'", "DELETE FROM core_auditevent"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            database.execute(statement)
    assert database.execute("SELECT username FROM core_auditevent").fetchall() == [("eve",)]
