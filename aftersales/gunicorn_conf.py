"""gunicorn settings for production: its error and access logs through the same redacting filter.

    gunicorn --config python:aftersales.gunicorn_conf aftersales.wsgi

gunicorn writes the access log itself, with the request line, the referer and any header the format
names, before Django sees anything — so a tracking link in a URL or a referer would reach the log in
clear. ``logconfig_dict`` gives gunicorn's two loggers handlers with ``RedactSecrets`` (and the JSON
formatter when ``LOG_FORMAT=json``, the default), exactly as ``LOGGING`` does for Django. Command-line
flags still override everything else here (``--workers``, ``--bind``, ``--timeout``…).
"""

import os

from aftersales.core.logging import logging_config

_django = logging_config(level=os.environ.get("LOG_LEVEL", "INFO"), log_format=os.environ.get("LOG_FORMAT", "json"))

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": _django["filters"],
    "formatters": _django["formatters"],
    "handlers": {
        # gunicorn's defaults: the access log on stdout, its own messages on stderr.
        "access": {**_django["handlers"]["console"], "stream": "ext://sys.stdout"},
        "error": {**_django["handlers"]["console"], "stream": "ext://sys.stderr"},
    },
    # Django's LOGGING replaces the root handler when a worker loads the application.
    "root": {"handlers": ["error"], "level": _django["root"]["level"]},
    "loggers": {
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "gunicorn.error": {"handlers": ["error"], "level": _django["root"]["level"], "propagate": False},
    },
}
