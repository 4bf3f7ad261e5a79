"""The Celery application. Workers: ``celery -A aftersales worker``; exactly one ``celery -A aftersales beat``."""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings.dev")

app = Celery("aftersales")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# `make run`: everything in one terminal (honcho). Production runs these as separate services:
# gunicorn for web, N workers on any hosts, exactly one beat (docs/operations.md).


@setup_logging.connect
def _log_through_the_logging_setting(loglevel=None, logfile=None, **kwargs) -> None:
    """Workers and beat log through ``LOGGING`` (one handler that redacts secrets, JSON in production)
    instead of the root handler Celery would install; ``--loglevel`` and ``--logfile`` still apply."""
    import logging
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    root = logging.getLogger()
    if loglevel:
        root.setLevel(loglevel)
    if logfile:
        # Like Celery's own: the log goes to the file instead of the console, redacted the same way.
        console = root.handlers[0]
        to_file = logging.FileHandler(logfile)
        to_file.setFormatter(console.formatter)
        for item in console.filters:
            to_file.addFilter(item)
        root.handlers = [to_file]
