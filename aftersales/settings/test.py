"""The test suite: real PostgreSQL and Redis (CONTRACT.md §1), fast password hashing."""

import os
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/aftersales")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")

from .base import *  # noqa: F403
from .base import LOGGING, REST_FRAMEWORK

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING["handlers"]["console"]["formatter"] = "text"
LOGGING["root"]["level"] = "WARNING"
# Rate limits are tested explicitly with their own settings; elsewhere they would make tests flaky.
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"public": "10000/minute", "auth": "10000/minute"}
# The same for the login lockout (aftersales/core/tests/test_security.py sets its own limits).
LOGIN_LOCKOUT_FAILURES = 10000
LOGIN_LOCKOUT_IP_FAILURES = 10000
LOGIN_LOCKOUT_USERNAME_FAILURES = 10000
TRACK_PAGE_RATE_LIMIT = "10000/minute"
WARRANTY_PAGE_RATE_LIMIT = "10000/minute"
# And for session timeouts: many tests travel hours or days while signed in (test_sessions.py sets its own).
SESSION_IDLE_TIMEOUT = SESSION_ABSOLUTE_TIMEOUT = SESSION_COOKIE_AGE = 10 * 365 * 86400

# KPI reports of the suite (and of the Celery worker it starts) go aside, and print no PDF unless a
# test asks for one (kpi/tests/test_report.py does).
KPI_REPORTS_DIR = str(VAR_DIR / "test-reports")  # noqa: F405
KPI_CHROMIUM = ""

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns when it is missing
