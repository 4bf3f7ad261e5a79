"""No secret link or token reaches a log line (issue #18 item 2).

Every 4xx on a public tracking path used to be logged by ``django.request`` with the token in the
path — twice under ``DEBUG`` (Django's own ``django`` console handler, then the root one). These
tests capture what the configured handlers really write: their streams are pointed at a buffer.
"""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from aftersales.core import logging as redaction
from aftersales.core.tests.conftest import free_port, wait_until
from aftersales.core.tracking import tracking_token_new

ROOT = Path(__file__).resolve().parents[3]


def configured_handlers() -> list[logging.Handler]:
    """The handlers the LOGGING setting (and Django's defaults) installed; pytest's own are left out."""
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    handlers = {id(handler): handler for logger in loggers for handler in logger.handlers}
    # NullHandler (libraries add one so their records have somewhere to go) writes nothing.
    return [
        handler
        for handler in handlers.values()
        if not type(handler).__module__.startswith("_pytest") and not isinstance(handler, logging.NullHandler)
    ]


@pytest.fixture
def log_output():
    """What the configured stream handlers write during the test."""
    buffer = io.StringIO()
    swapped = [
        (handler, handler.setStream(buffer))
        for handler in configured_handlers()
        if isinstance(handler, logging.StreamHandler)
    ]
    yield buffer
    for handler, stream in swapped:
        handler.setStream(stream)


@pytest.fixture
def token() -> str:
    return tracking_token_new()[0]


def test_every_configured_handler_redacts(settings):
    assert configured_handlers(), "logging is configured"
    for handler in configured_handlers():
        assert any(isinstance(item, redaction.RedactSecrets) for item in handler.filters), handler
    for name, handler in django_settings.LOGGING["handlers"].items():
        assert "redact_secrets" in handler.get("filters", []), name


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_a_404_on_the_tracking_page_is_logged_once_without_its_token(client, settings, log_output, token, debug):
    settings.DEBUG = debug
    response = client.get(f"/track/{token}/")
    assert response.status_code == 404
    lines = [line for line in log_output.getvalue().splitlines() if "Not Found" in line]
    assert len(lines) == 1, lines
    assert token not in log_output.getvalue()
    assert "/track/[redacted]/" in lines[0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/public/track/{token}/",
        "/api/v1/public/track/{token}/messages/",
        "/track/{token}/files/1/",
    ],
)
def test_4xx_on_public_tracking_paths_never_log_the_token(api_client, log_output, token, path):
    method = api_client.post if path.endswith("messages/") else api_client.get
    response = method(path.format(token=token))
    assert 400 <= response.status_code < 500
    output = log_output.getvalue()
    assert output.count("django.request") == 1, output
    assert token not in output
    assert "/track/[redacted]/" in output


def test_the_development_server_request_line_is_redacted(log_output, token):
    # What django.core.servers.basehttp.WSGIRequestHandler.log_message logs for every request.
    logging.getLogger("django.server").warning(
        '"%s" %s %s', f"GET /track/{token}/ HTTP/1.1", "404", "1234", extra={"status_code": 404, "server_time": "x"}
    )
    output = log_output.getvalue()
    assert '"GET /track/[redacted]/ HTTP/1.1" 404 1234' in output
    assert token not in output


def record(msg, args=(), **extra) -> logging.LogRecord:
    made = logging.LogRecord("test", logging.WARNING, __file__, 1, msg, args, None)
    for key, value in extra.items():
        setattr(made, key, value)
    return made


def json_line(made: logging.LogRecord) -> str:
    assert redaction.RedactSecrets().filter(made) is True
    return redaction.JsonFormatter().format(made)


def test_message_args_extras_and_exception_text_are_redacted_in_json(token, rf):
    request = rf.get(f"/api/v1/public/track/{token}/confirm/")
    try:
        raise ValueError(f"no case for https://service.example.com/track/{token}/")
    except ValueError:
        made = record(
            "delivery to %s failed",
            (f"https://service.example.com/track/{token}/",),
            request=request,
            context={"tracking_url": f"/track/{token}/", "attempt": 2, "urls": [f"/track/{token}/x/"]},
            path=f"/track/{token}/",
        )
        made.exc_info = sys.exc_info()
    line = json_line(made)
    entry = json.loads(line)
    assert token not in line
    assert entry["message"] == "delivery to https://service.example.com/track/[redacted]/ failed"
    assert entry["context"] == {"tracking_url": "/track/[redacted]/", "attempt": 2, "urls": ["/track/[redacted]/x/"]}
    assert entry["path"] == "/track/[redacted]/"
    assert "/api/v1/public/track/[redacted]/confirm/" in entry["request"]
    assert "ValueError: no case for https://service.example.com/track/[redacted]/" in entry["exception"]


def test_mapping_args_keep_their_type_and_missing_key_behaviour(token):
    class Atoms(dict):  # as gunicorn's SafeAtoms: a missing atom formats as "-"
        def __getitem__(self, key):
            return super().__getitem__(key) if key in self else "-"

    made = record('"%(r)s" %(s)s %(nope)s "%(f)s"', ())
    made.args = Atoms(r=f"GET /track/{token}/ HTTP/1.1", s=404, f=f"https://x.example/track/{token}/")
    assert redaction.RedactSecrets().filter(made)
    assert isinstance(made.args, Atoms)
    assert made.getMessage() == '"GET /track/[redacted]/ HTTP/1.1" 404 - "https://x.example/track/[redacted]/"'


def test_numbers_in_args_stay_numbers(token):
    made = record("%d attempts for %s, %.1f s", (3, f"/track/{token}/", 1.25))
    assert redaction.RedactSecrets().filter(made)
    assert made.getMessage() == "3 attempts for /track/[redacted]/, 1.2 s"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Token 9f2c1a7e5b3d4c6a8e0f1b2d3c4e5f60", "Authorization: Token [redacted]"),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig", "Bearer [redacted]"),
        ('{"tracking_token": "AbCdEfGhIjKlMnOpQrStUvWx"}', '{"tracking_token": "[redacted]"}'),
        ("tracking_token=AbCdEfGhIjKlMnOpQrStUvWx&x=1", "tracking_token=[redacted]&x=1"),
        ("Not Found: /track/abc", "Not Found: /track/[redacted]"),
        ("see /track/ for details", "see /track/ for details"),
        ("a Token of appreciation", "a Token of appreciation"),
    ],
)
def test_redact_text(text, expected):
    assert redaction.redact_text(text) == expected


def test_other_apps_register_their_one_time_link_patterns(log_output):
    # What emergency/ (issue #12) does in its AppConfig.ready for the acknowledgement links it pages.
    redaction.register_secret_pattern(r"/test-ack/(?P<secret>[A-Za-z0-9_-]+)")
    redaction.register_secret_pattern(r"/test-ack/(?P<secret>[A-Za-z0-9_-]+)")  # idempotent
    logging.getLogger("django.request").warning("Forbidden: %s", "/test-ack/s3cr3t-link/")
    assert "/test-ack/[redacted]" in log_output.getvalue()
    assert "s3cr3t-link" not in log_output.getvalue()
    with pytest.raises(ValueError, match="secret"):
        redaction.register_secret_pattern(r"/no-group/[a-z]+")


def test_the_session_cookie_is_redacted():
    assert redaction.redact_text("Cookie: csrftoken=abc; sessionid=9x8y7z6w") == (
        "Cookie: csrftoken=abc; sessionid=[redacted]"
    )


def test_celery_workers_log_through_the_same_handlers():
    """Celery replaces the root handlers unless a receiver of ``setup_logging`` configures logging."""
    code = (
        "import django, logging; django.setup();"
        "from aftersales.celery import app; app.log.setup_logging_subsystem(loglevel='INFO');"
        "from aftersales.core.logging import RedactSecrets;"
        "handlers = logging.getLogger().handlers;"
        "print(len(handlers), all(any(isinstance(f, RedactSecrets) for f in h.filters) for h in handlers))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_environment(), capture_output=True, text=True, timeout=60
    )
    assert result.stdout.split() == ["1", "True"], result.stderr


def _environment() -> dict:
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "aftersales.settings.test", "PYTHONPATH": str(ROOT)}


@pytest.mark.integration
def test_gunicorn_access_log_runs_through_the_filter(token):
    """The production web server's request lines (path and referer) with the documented logconfig."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--config",
            "python:aftersales.gunicorn_conf",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "aftersales.wsgi:application",
        ],
        cwd=ROOT,
        env={**_environment(), "LOG_FORMAT": "json"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def answered():
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/no-such-page/track/{token}/",
                headers={"Referer": f"http://127.0.0.1/track/{token}/", "Authorization": f"Token {token}"},
            )
            try:
                urllib.request.urlopen(request, timeout=5)  # noqa: S310 - a loopback URL built here
            except urllib.error.HTTPError as error:
                return error.code
            except OSError:
                return None
            return 200

        assert wait_until(answered, timeout=60, what="gunicorn to answer") == 404
    finally:
        server.send_signal(signal.SIGTERM)
        stdout, stderr = server.communicate(timeout=30)
    access = [line for line in stdout.splitlines() if "no-such-page" in line]
    assert access, (stdout, stderr)
    assert json.loads(access[0])["logger"] == "gunicorn.access"
    assert "GET /no-such-page/track/[redacted]/ HTTP/1.1" in access[0]
    assert token not in stdout + stderr
