"""What operators rely on: /healthz, the role groups, the management commands, production settings,
JSON logs and the language switch (CONTRACT.md §1–§3).
"""

import io
import json
import logging
import os
import re
import secrets
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.utils import timezone, translation
from django.utils.translation import gettext

from aftersales.celery import app as celery_app
from aftersales.core import roles
from aftersales.core.logging import JsonFormatter
from aftersales.core.models import CalendarDay, OutboxMessage, SlaClock
from aftersales.core.services import customer_create
from aftersales.core.sla.services import clock_start

BASE_DIR = Path(settings.BASE_DIR)


def run_command(name: str, *args) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def permission_names(group: Group) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


# --- /healthz -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_is_ok_with_the_real_database_and_redis(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["sla_sweep_lag_seconds"] == 0
    assert body["outbox_pending"] == 0
    assert (body["status"], body["reasons"]) == ("ok", [])
    assert body["version"] == settings.SPECTACULAR_SETTINGS["VERSION"]
    # A load balancer must see the live state, never a cached answer.
    assert "no-cache" in response["Cache-Control"]


@pytest.fixture
def broker_down():
    """Points the Celery app at a port nothing listens on; restores it afterwards."""
    original = celery_app.conf.broker_url
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    yield
    celery_app.conf.broker_url = original


@pytest.mark.django_db
def test_healthz_is_503_while_the_broker_is_unreachable_and_recovers_after(client, broker_down):
    # One test for both halves: each unreachable check costs kombu's 2-second retry interval.
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] != "ok"
    assert body["broker"].startswith("error: ")
    assert "127.0.0.1:1" not in body["broker"]  # the kind of failure, not connection details
    assert "outbox_pending" in body  # the lag figures are still there to help diagnose

    celery_app.conf.broker_url = settings.CELERY_BROKER_URL
    assert client.get("/healthz").status_code == 200


def test_healthz_accepts_only_get(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_healthz_reports_sweep_lag_and_overdue_outbox_messages(client, always_calendar):
    now = timezone.now()
    customer = customer_create(name="赵敏", phone="13800138001")
    # A 1-hour clock started 2 hours ago whose checks nobody ran: its first check (the 50 %
    # warning) was due 90 minutes ago, so the sweep is that far behind.
    clock_start(subject=customer, name="resolution", target=timedelta(hours=1), calendar=always_calendar, now=now)
    SlaClock.objects.update(next_check_at=now - timedelta(minutes=90))
    for key, status, next_attempt_at in [
        ("overdue", OutboxMessage.Status.PENDING, now - timedelta(minutes=15)),
        ("just-queued", OutboxMessage.Status.PENDING, now),  # within the minute Celery gets
        ("delivered", OutboxMessage.Status.SENT, now - timedelta(minutes=10)),
    ]:
        OutboxMessage.objects.create(
            key=key,
            channel="sms",
            recipient="13800138001",
            template="sla_warning",
            status=status,
            next_attempt_at=next_attempt_at,
        )

    response = client.get("/healthz")
    body = response.json()

    assert 90 * 60 <= body["sla_sweep_lag_seconds"] < 95 * 60
    assert body["outbox_pending"] == 1
    assert 15 * 60 <= body["outbox_oldest_wait_seconds"] < 16 * 60
    # Deadlines are not being enforced: degraded, and 503 so that monitoring pages someone.
    assert response.status_code == 503
    assert body["status"] == "degraded" and body["reasons"] == ["sla_sweep_lagging", "outbox_stuck"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lag", "wait", "status", "reasons"),
    [
        (timedelta(minutes=4), timedelta(minutes=9), 200, []),  # within a few sweep intervals: fine
        (timedelta(minutes=6), None, 503, ["sla_sweep_lagging"]),  # beat stopped
        (None, timedelta(minutes=11), 503, ["outbox_stuck"]),  # no worker delivers
    ],
)
def test_healthz_is_degraded_when_beat_or_the_workers_stop(client, always_calendar, lag, wait, status, reasons):
    now = timezone.now()
    if lag:
        customer = customer_create(name="赵敏", phone="13800138001")
        clock_start(subject=customer, name="resolution", target=timedelta(hours=1), calendar=always_calendar, now=now)
        SlaClock.objects.update(next_check_at=now - lag)
    if wait:
        OutboxMessage.objects.create(
            key="waiting", channel="sms", recipient="13800138001", template="sla_warning", next_attempt_at=now - wait
        )

    response = client.get("/healthz")

    assert response.status_code == status
    assert response.json()["reasons"] == reasons
    assert response.json()["status"] == ("degraded" if reasons else "ok")


@pytest.mark.django_db
def test_healthz_thresholds_are_settings(client, always_calendar, settings):
    settings.HEALTH_OUTBOX_WAIT_SECONDS = 60 * 60
    OutboxMessage.objects.create(
        key="waiting",
        channel="sms",
        recipient="13800138001",
        template="sla_warning",
        next_attempt_at=timezone.now() - timedelta(minutes=30),
    )
    assert client.get("/healthz").status_code == 200
    settings.HEALTH_OUTBOX_WAIT_SECONDS = 20 * 60
    assert client.get("/healthz").json()["reasons"] == ["outbox_stuck"]


# --- Roles ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_migration_created_every_role_group():
    assert set(Group.objects.filter(name__in=roles.ROLES).values_list("name", flat=True)) == set(roles.ROLES)
    assert set(roles.ROLES) == {"agent", "technician", "supervisor", "manager", "coordinator"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", roles.ROLES)
def test_each_role_group_has_its_declared_permissions(role):
    declared = roles.declared_role_permissions()[role]
    existing = {f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")}

    assert declared, "every role may do something"
    # A name that matches no permission would silently grant nothing: catch typos here.
    assert declared <= existing, declared - existing
    assert permission_names(Group.objects.get(name=role)) >= declared


@pytest.mark.django_db
def test_contact_details_are_for_agents_technicians_and_supervisors_only(make_user):
    # 004 §4.3: only roles that call or visit customers see phone numbers and addresses.
    sees_contact = {role: make_user(role).has_perm("core.view_customer_contact") for role in roles.ROLES}

    assert sees_contact == {
        "agent": True,
        "technician": True,
        "supervisor": True,
        "manager": False,
        "coordinator": False,
    }


@pytest.mark.django_db
def test_roles_sync_is_idempotent_and_keeps_permissions_added_by_hand():
    agent = Group.objects.get(name=roles.AGENT)
    agent.permissions.add(Permission.objects.get(content_type__app_label="auth", codename="view_user"))
    before = {group.name: permission_names(group) for group in Group.objects.all()}

    roles.roles_sync()
    roles.roles_sync()

    after = {group.name: permission_names(group) for group in Group.objects.all()}
    assert after == before
    assert "auth.view_user" in after[roles.AGENT]


@pytest.mark.django_db
def test_roles_sync_recreates_a_deleted_group():
    Group.objects.filter(name=roles.COORDINATOR).delete()

    roles.roles_sync()

    assert (
        permission_names(Group.objects.get(name=roles.COORDINATOR))
        >= roles.declared_role_permissions()[roles.COORDINATOR]
    )


# --- fill_holidays --------------------------------------------------------------------------


@pytest.mark.django_db
def test_fill_holidays_imports_national_day_and_its_make_up_saturday(business_calendar):
    output = run_command("fill_holidays", "--year", "2026")

    days = {day.date: day for day in CalendarDay.objects.filter(calendar=business_calendar)}
    assert days[date(2026, 10, 1)].kind == CalendarDay.Kind.HOLIDAY
    assert days[date(2026, 10, 10)].kind == CalendarDay.Kind.WORKDAY  # a Saturday worked (调休)
    assert date(2026, 10, 10).weekday() == 5
    assert all(day.imported and day.date.year == 2026 for day in days.values())
    assert output.startswith("business 2026: ")
    assert "0 day(s) entered by hand kept" in output


@pytest.mark.django_db
def test_fill_holidays_keeps_a_day_entered_by_hand_on_rerun(business_calendar):
    run_command("fill_holidays", "--year", "2026")
    # The company decides to work on 7 October although the country has a day off.
    CalendarDay.objects.filter(calendar=business_calendar, date=date(2026, 10, 7)).delete()
    CalendarDay.objects.create(
        calendar=business_calendar, date=date(2026, 10, 7), kind=CalendarDay.Kind.WORKDAY, name="公司安排上班"
    )
    count = CalendarDay.objects.count()

    output = run_command("fill_holidays", "--year", "2026")

    kept = CalendarDay.objects.get(calendar=business_calendar, date=date(2026, 10, 7))
    assert (kept.kind, kept.name, kept.imported) == (CalendarDay.Kind.WORKDAY, "公司安排上班", False)
    assert CalendarDay.objects.count() == count  # re-importing replaced, it did not duplicate
    assert "1 day(s) entered by hand kept" in output


@pytest.mark.django_db
def test_fill_holidays_rejects_an_unknown_calendar(business_calendar):
    with pytest.raises(CommandError, match="no calendar with code 'nope'"):
        call_command("fill_holidays", "--year", "2026", "--calendar", "nope")


# --- sla_sweep ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sla_sweep_prints_what_it_recorded_and_records_nothing_twice(always_calendar):
    customer = customer_create(name="赵敏", phone="13800138001")
    clock_start(
        subject=customer,
        name="resolution",
        target=timedelta(hours=1),
        calendar=always_calendar,
        now=timezone.now() - timedelta(hours=2),
    )
    line = re.compile(
        r"^SLA sweep: (\d+) warning\(s\) and (\d+) breach\(es\) recorded over (\d+) clock\(s\) checked\.$"
    )

    first = line.match(run_command("sla_sweep").strip())
    second = line.match(run_command("sla_sweep").strip())

    assert first and second
    warnings, breaches, checked = map(int, first.groups())
    assert breaches == 1 and warnings >= 1 and checked == 1  # two hours into a one-hour promise
    assert second.groups()[:2] == ("0", "0")


# --- Production settings --------------------------------------------------------------------


def prod_env(**overrides) -> dict[str, str]:
    # A clean environment: the test settings put DATABASE_URL and REDIS_URL in os.environ.
    env = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG", "LC_ALL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="aftersales.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="service.example.com",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/aftersales",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_prod_settings_pass_the_deploy_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=prod_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"])
def test_prod_settings_refuse_to_start_without_a_required_variable(missing):
    # No secret defaults in production: a missing variable stops the process with its name.
    result = manage("check", env=prod_env(**{missing: None}))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


# --- Logging --------------------------------------------------------------------------------


def format_one(log) -> dict:
    """Calls ``log(logger)`` with a JsonFormatter handler attached; returns the one parsed line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("aftersales.tests.json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        log(logger)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1, lines  # one object per line, even with a traceback inside
    return json.loads(lines[0])


def test_json_formatter_writes_the_standard_fields_and_the_extra_ones():
    entry = format_one(
        lambda logger: logger.warning(
            "ticket %s breached its %s clock",
            "T2026112300042",
            "resolution",
            extra={"ticket": "T2026112300042", "breached_at": date(2026, 11, 24), "客户": "赵敏"},
        )
    )

    assert entry["level"] == "WARNING"
    assert entry["logger"] == "aftersales.tests.json"
    assert entry["message"] == "ticket T2026112300042 breached its resolution clock"
    assert entry["ticket"] == "T2026112300042"
    assert entry["breached_at"] == "2026-11-24"  # values JSON cannot hold are written as text
    assert entry["客户"] == "赵敏"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])
    # Nothing of LogRecord's own bookkeeping leaks into the line.
    assert not {"args", "msg", "levelno", "pathname", "exc_info", "taskName"} & set(entry)


def test_json_formatter_includes_the_exception():
    try:
        raise ValueError("bad\nthing")
    except ValueError:
        entry = format_one(lambda logger: logger.exception("delivery failed"))

    assert entry["message"] == "delivery failed"
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert "ValueError: bad\nthing" in entry["exception"]


def test_json_formatter_is_the_configured_default():
    from aftersales.settings import base

    assert base.LOGGING["formatters"]["json"]["()"] == "aftersales.core.logging.JsonFormatter"


# --- Languages ------------------------------------------------------------------------------


def test_locale_middleware_is_active():
    middleware = settings.MIDDLEWARE
    assert "django.middleware.locale.LocaleMiddleware" in middleware
    # It needs the session (to read a chosen language) and must run before CommonMiddleware.
    assert (
        middleware.index("django.contrib.sessions.middleware.SessionMiddleware")
        < middleware.index("django.middleware.locale.LocaleMiddleware")
        < middleware.index("django.middleware.common.CommonMiddleware")
    )


@pytest.mark.django_db  # the home page reads its promises from the SLA matrix
def test_portal_home_in_english_for_an_english_browser(client):
    response = client.get("/", headers={"Accept-Language": "en"})

    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "How can we help?" in page


@pytest.mark.django_db  # the home page reads its promises from the SLA matrix
def test_portal_home_in_chinese_by_default(client):
    response = client.get("/")

    assert response["Content-Language"] == "zh-hans"
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    # Whatever the Chinese catalogue holds so far is what the page shows (English until translated).
    with translation.override("zh-hans"):
        assert gettext("How can we help?") in page


@pytest.mark.django_db  # the home page reads its promises from the SLA matrix
def test_set_language_switches_the_portal_to_english_and_back(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    # The cookie wins over the browser's Accept-Language from now on.
    english = client.get("/", headers={"Accept-Language": "zh-hans"})
    assert english["Content-Language"] == "en"
    assert "How can we help?" in english.content.decode()

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert client.get("/", headers={"Accept-Language": "en"})["Content-Language"] == "zh-hans"


def test_set_language_ignores_an_unsafe_next_url(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


@pytest.mark.django_db  # the home page reads its promises from the SLA matrix
def test_set_language_ignores_an_unknown_language(client):
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})

    assert client.get("/", headers={"Accept-Language": "en"})["Content-Language"] == "en"


@pytest.mark.skipif(
    not (BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo").exists(),
    reason="no compiled Chinese catalogue yet (locale/zh_Hans/LC_MESSAGES/django.mo)",
)
@pytest.mark.django_db
def test_portal_home_is_translated_to_chinese(client):
    with translation.override("zh-hans"):
        chinese = gettext("How can we help?")

    assert chinese != "How can we help?"
    assert chinese in client.get("/", headers={"Accept-Language": "zh-hans"}).content.decode()
