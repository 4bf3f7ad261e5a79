"""Structured logging, and the filter that keeps secrets out of every log line.

``JsonFormatter`` writes one JSON object per line for a log shipper. ``RedactSecrets`` is installed
on every handler by the ``LOGGING`` setting (and by ``aftersales/gunicorn_conf.py`` on gunicorn's
access log): whatever reaches a handler — the message, its args, ``extra`` fields, the request line
of ``django.server`` and gunicorn, exception text — has its secrets replaced by ``[redacted]`` first.

A secret is whatever a pattern of the registry matches in its ``secret`` group. Built in: the
tracking links (``/track/<token>/…`` and ``/api/v1/public/track/<token>/…``), ``Token``/``Bearer``
credentials and ``tracking_token`` values. Core adds the session and known-device cookies when
Django is ready; another app adds its one-time links from its ``AppConfig.ready``::

    from aftersales.core.logging import register_secret_pattern
    register_secret_pattern(r"/incidents/ack/(?P<secret>[A-Za-z0-9_-]+)")

This module imports nothing of Django, so gunicorn's master process can load it before any app.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime

REDACTED = "[redacted]"

# Attributes every LogRecord has; anything else was passed through ``extra=`` and is kept.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_PLAIN = (int, float, bool, type(None))

BUILT_IN_PATTERNS = (
    # The customer's tracking link, in the HTML portal and the public API alike (an absolute URL too).
    r"/track/(?P<secret>[^/?#\s\"'<>]+)",
    # API credentials as an Authorization header carries them; 16+ characters so prose passes.
    r"\b(?:Token|Bearer)\s+(?P<secret>[A-Za-z0-9_\-.~+/]{16,}=*)",
    # A tracking token named as such (a JSON body, a query string, a context dict printed whole).
    r"\btracking_token[\"']?\s*[:=]\s*[\"']?(?P<secret>[A-Za-z0-9_-]{8,})",
)

_lock = threading.Lock()
_patterns: list[str] = list(BUILT_IN_PATTERNS)
_compiled: re.Pattern[str] | None = None


def register_secret_pattern(pattern: str) -> None:
    """Redact what ``pattern``'s group ``secret`` matches, from now on, in every log record.

    Registering the same pattern twice does nothing. Keep patterns anchored on something distinctive
    (a path prefix, a cookie name): they run over every log line. All patterns are joined into one
    expression, so ``secret`` must be the only named group and flags must be scoped (``(?i:…)``).
    """
    global _compiled
    if set(re.compile(pattern).groupindex) != {"secret"}:
        raise ValueError(f"The pattern {pattern!r} needs one named group, 'secret', and no other.")
    with _lock:
        if pattern not in _patterns:
            _patterns.append(pattern)
            _compiled = None


def _combined() -> re.Pattern[str]:
    global _compiled
    compiled = _compiled
    if compiled is None:
        with _lock:
            # One alternation, each pattern's ``secret`` group renamed so they can live side by side.
            parts = [pattern.replace("(?P<secret>", f"(?P<secret{index}>") for index, pattern in enumerate(_patterns)]
            compiled = _compiled = re.compile("|".join(f"(?:{part})" for part in parts))
    return compiled


def _replace(match: re.Match[str]) -> str:
    text, start = match.group(0), match.start()
    for name, value in match.groupdict().items():
        if value is not None and name.startswith("secret"):
            begin, end = match.span(name)
            return text[: begin - start] + REDACTED + text[end - start :]
    return text


def redact_text(text: str) -> str:
    """``text`` with every registered secret replaced by ``[redacted]``."""
    return _combined().sub(_replace, text)


def redact_value(value):
    """A value as it may be logged: strings redacted, containers walked, other objects by their text.

    Returns the value itself when it holds no secret, so numbers stay numbers for ``%d`` and a
    request object stays an object for handlers that read it.
    """
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, Mapping):
        items = {key: redact_value(item) for key, item in value.items()}
        if all(items[key] is value[key] for key in items):
            return value
        try:
            # A copy of the same type (gunicorn's access atoms answer "-" for a missing key).
            redacted = copy.copy(value)
            redacted.update(items)
            return redacted
        except (TypeError, AttributeError):
            return items
    if isinstance(value, list | tuple | set | frozenset):
        items = [redact_value(item) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return items if isinstance(value, list) else tuple(items)
    try:
        text = str(value)
    except Exception:  # a broken __str__ must not lose the log line
        return value
    redacted = redact_text(text)
    return value if redacted == text else redacted


class RedactSecrets(logging.Filter):
    """Redacts registered secrets from every part of a record that a formatter may write."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_value(record.msg)
        if record.args:
            record.args = (
                redact_value(record.args) if isinstance(record.args, Mapping) else tuple(map(redact_value, record.args))
            )
        for key, value in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, redact_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        # Belt and braces: a secret put together by formatting (a template and its args) is caught too.
        try:
            message = record.getMessage()
        except Exception:  # a broken format is the handler's error to report, not ours
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:  # set (and redacted) by RedactSecrets when it ran first
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


def logging_config(*, level: str = "INFO", log_format: str = "json") -> dict:
    """The ``LOGGING`` setting: every record through one console handler that redacts secrets.

    Django's own defaults give the ``django`` logger a console handler of its own (active under
    ``DEBUG``) that *also* propagates to the root handler, so every request warning was written
    twice; ``django.server`` had an unfiltered handler too. Both are configured here to propagate
    to the root handler alone.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact_secrets": {"()": "aftersales.core.logging.RedactSecrets"}},
        "formatters": {
            "json": {"()": "aftersales.core.logging.JsonFormatter"},
            "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["redact_secrets"]}
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # NOTSET: LOG_LEVEL (the root's) decides for Django's loggers as for every other.
            "django": {"handlers": [], "level": "NOTSET", "propagate": True},
            "django.server": {"handlers": [], "level": "NOTSET", "propagate": True},
            "django.db.backends": {"level": "INFO"},
        },
    }
