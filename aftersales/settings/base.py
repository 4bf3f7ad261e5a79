"""Settings shared by every flavour. Environment variables are listed in README.md."""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from aftersales.core.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"  # run-time files of the embedded defaults (broker folders, beat schedule)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_fsm",
    "aftersales.core",
    "warranty",
    "parts",
    "tickets",
    "complaints",
    "emergency",
    "kpi",
    "aftersales.portal",
    "devdata",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "aftersales.core.api.http_errors.ApiErrorShapeMiddleware",
    "aftersales.core.security.ContentSecurityPolicyMiddleware",
    "aftersales.core.security.PrivateResponseMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "aftersales.core.lockout.KnownDeviceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "aftersales.core.sessions.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "aftersales.core.audit.AuditMiddleware",
]

ROOT_URLCONF = "aftersales.urls"
# JSON under /api/, Django's page elsewhere (aftersales/core/api/http_errors.py).
CSRF_FAILURE_VIEW = "aftersales.core.api.http_errors.csrf_failure"
WSGI_APPLICATION = "aftersales.wsgi.application"
ASGI_APPLICATION = "aftersales.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "aftersales.portal.context.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# The embedded default is a SQLite file so `make run` needs no server; production and the test
# suite use PostgreSQL through DATABASE_URL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: wait for locks instead of failing, and take the write
    # lock at BEGIN so two writers never deadlock upgrading read locks.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache ----------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "aftersales",
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    # Redis must not evict broker keys (operations guide: maxmemory-policy noeviction); the
    # visibility timeout is longer than any task's time limit so a slow task is never re-run.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    # Exactly one beat sends the periodic tasks; any other waits as a standby (aftersales/core/beat.py).
    CELERY_BEAT_SCHEDULER = "aftersales.core.beat:LeaderScheduler"
else:
    # Embedded default: one web process, so a process-local cache is enough for rate limits.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "celery-broker"
    # The file-system transport expects its folders to exist; create them so any process can start first.
    for _folder in (_broker_dir, VAR_DIR / "celery-processed", VAR_DIR / "celery-control"):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "control_folder": str(VAR_DIR / "celery-control"),  # broadcast exchanges, else ./control
        "store_processed": False,
    }

# --- Celery ---------------------------------------------------------------------------------
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How long the leading beat's lease lasts: a standby takes over within this after the leader dies.
BEAT_LEASE_SECONDS = env.float("BEAT_LEASE_SECONDS", default=30)
CELERY_BEAT_SCHEDULE_FILENAME = env("CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule"))
CELERY_BEAT_SCHEDULE = {
    # Deadlines are enforced by sweeping indexed rows every minute, never by long ETA tasks.
    "sla-sweep": {"task": "core.sla_sweep", "schedule": 60.0},
    "outbox-deliver": {"task": "core.outbox_deliver", "schedule": 30.0},
    "outbox-requeue-stuck": {"task": "core.outbox_requeue_stuck", "schedule": 300.0},
    # REQUIREMENTS §7: last month's statistics frozen on the 3rd (due before the 4th), the monthly
    # report on the 4th (due before the 5th); both at 06:00 company time, idempotent per month.
    "kpi-monthly-statistics": {
        "task": "kpi.monthly_statistics",
        "schedule": crontab(minute=0, hour=6, day_of_month=3),
    },
    "kpi-monthly-report": {"task": "kpi.monthly_report", "schedule": crontab(minute=0, hour=6, day_of_month=4)},
}
# /healthz answers 503 "degraded" when deadlines stop being enforced: the oldest due clock waits more
# than a few sweep intervals, or a message waits for delivery longer than this (no beat, no worker).
HEALTH_SWEEP_LAG_SECONDS = env.int("HEALTH_SWEEP_LAG_SECONDS", default=5 * 60)
HEALTH_OUTBOX_WAIT_SECONDS = env.int("HEALTH_OUTBOX_WAIT_SECONDS", default=10 * 60)

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Signed-in sessions (aftersales/core/sessions.py): end after this many seconds without a request,
# and after SESSION_ABSOLUTE_TIMEOUT whatever the activity (the cookie and the stored session as well).
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
# The model backend, refusing locked-out usernames and addresses first (aftersales/core/lockout.py).
AUTHENTICATION_BACKENDS = ["aftersales.core.lockout.LockoutModelBackend"]
# Failures within the window (aftersales/core/lockout.py): per address and username, and per known device;
LOGIN_LOCKOUT_FAILURES = env.int("LOGIN_LOCKOUT_FAILURES", default=5)
LOGIN_LOCKOUT_IP_FAILURES = env.int("LOGIN_LOCKOUT_IP_FAILURES", default=20)  # per client address
# per username from every address (this lock does not apply to the user's known devices).
LOGIN_LOCKOUT_USERNAME_FAILURES = env.int("LOGIN_LOCKOUT_USERNAME_FAILURES", default=20)
LOGIN_LOCKOUT_WINDOW = env.int("LOGIN_LOCKOUT_WINDOW", default=15 * 60)  # seconds
LOGIN_LOCKOUT_COOLDOWN = env.int("LOGIN_LOCKOUT_COOLDOWN", default=15 * 60)  # seconds
# The signed cookie a successful login leaves, which lets that browser past the per-username lock.
LOGIN_DEVICE_COOKIE_NAME = env("LOGIN_DEVICE_COOKIE_NAME", default="aftersales_device")
LOGIN_DEVICE_COOKIE_AGE = env.int("LOGIN_DEVICE_COOKIE_AGE", default=180 * 86400)

# --- Security headers (every environment; prod.py adds HSTS and secure cookies) --------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Scripts and styles only from this site, never inline; nothing may frame these pages.
# img-src allows data: for the icons Swagger UI and the admin embed in their stylesheets.
CONTENT_SECURITY_POLICY = env(
    "CONTENT_SECURITY_POLICY",
    default="; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    ),
)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media files -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "aftersales.core.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "aftersales.core.api.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "aftersales.core.api.pagination.BoundedCountPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "aftersales.core.api.schema.ErrorResponsesAutoSchema",
    "EXCEPTION_HANDLER": "aftersales.core.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        # Public endpoints need no account, so they are limited per client address.
        "public": env("PUBLIC_RATE_LIMIT", default="60/minute"),
        "auth": env("AUTH_RATE_LIMIT", default="20/minute"),
    },
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
}
# Staff API tokens (aftersales/core/tokens.py): a new one per login, valid this many seconds (a long
# working day: nobody is logged out mid-shift, a copied token is worthless by the next morning).
API_TOKEN_TTL = env.int("API_TOKEN_TTL", default=12 * 3600)
API_TOKEN_MAX_PER_USER = env.int("API_TOKEN_MAX_PER_USER", default=10)  # the oldest beyond is revoked
API_TOKEN_KEEP_DAYS = env.int("API_TOKEN_KEEP_DAYS", default=30)  # ended tokens kept for the record
# List endpoints count at most this many rows; beyond it they answer "count_exact": false.
API_COUNT_LIMIT = env.int("API_COUNT_LIMIT", default=10_000)

SPECTACULAR_SETTINGS = {
    "TITLE": "After-sales service API",
    "DESCRIPTION": "Warranty, service tickets, complaints, emergencies and KPIs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several resources have a "status" with different choices; name each set after its resource.
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.choices.Status",
        "TicketChannelEnum": "tickets.choices.Channel",
        "ComplaintStatusEnum": "complaints.choices.Status",
        "ComplaintChannelEnum": "complaints.choices.Channel",
        "IncidentStatusEnum": "emergency.choices.Status",
        "IncidentChannelEnum": "emergency.choices.Channel",
        "WarehouseTierEnum": "parts.models.WarehouseTier",
        "MovementKindEnum": "parts.models.MovementKind",
        "TransferStatusEnum": "parts.models.TransferStatus",
        "ReservationStatusEnum": "parts.models.ReservationStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "aftersales.core.api.schema.local_times",
    ],
}

# --- Complaints ----------------------------------------------------------------------------
# Compensation above this amount (CNY) waits for the service manager's approval (REQUIREMENTS §5).
COMPLAINT_COMPENSATION_APPROVAL_LIMIT = env.int("COMPLAINT_COMPENSATION_APPROVAL_LIMIT", default=500)

# --- Email and SMS --------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="service@aftersales.invalid")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SMS_BACKEND = env("SMS_BACKEND", default="aftersales.core.outbox.sms.ConsoleSmsBackend")
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", default="")

# --- Outbox and SLA sweep -------------------------------------------------------------------
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
# Messages one delivery claims at a time: a worker killed mid-batch leaves at most this many in
# "sending" until core.outbox_requeue_stuck puts them back (after twice the task time limit).
OUTBOX_BATCH_SIZE = env.int("OUTBOX_BATCH_SIZE", default=10)
SLA_SWEEP_BATCH_SIZE = env.int("SLA_SWEEP_BATCH_SIZE", default=500)
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# Service requests submitted through the portal form, per client address.
PORTAL_REQUEST_RATE_LIMIT = env("PORTAL_REQUEST_RATE_LIMIT", default="10/hour")
# Requests to the customer's tracking page /track/<token>/ (and its files), per client address.
TRACK_PAGE_RATE_LIMIT = env("TRACK_PAGE_RATE_LIMIT", default="30/minute")
# The portal's warranty check /warranty/, per client address (serials must not be harvested quickly).
WARRANTY_PAGE_RATE_LIMIT = env("WARRANTY_PAGE_RATE_LIMIT", default="30/minute")
# Phone numbers the public types without a country code are of this region (ISO 3166, phonenumbers).
PHONE_DEFAULT_REGION = env("PHONE_DEFAULT_REGION", default="CN")
# The service hotline the portal gives wherever it says "call us" (empty: the portal says none).
SERVICE_HOTLINE = env("SERVICE_HOTLINE", default="400-800-8888")
# "Send me my link again" (/track/lost/): attempts per client address, per case number and per phone/email.
LINK_RECOVERY_RATE_LIMIT = env("LINK_RECOVERY_RATE_LIMIT", default="5/hour")

# --- KPI reports (kpi/) ---------------------------------------------------------------------
# Where manage.py kpi_report and the beat tasks write the XLSX, HTML and PDF files.
KPI_REPORTS_DIR = env("KPI_REPORTS_DIR", default=str(VAR_DIR / "reports"))
# Recipients per report (REQUIREMENTS §7): the statistics to the enterprise-management office before
# the 4th, the monthly report to the quality, technical and marketing centres and senior management
# before the 5th. Comma-separated email addresses.
KPI_REPORT_RECIPIENTS = {
    "statistics": env.list("KPI_STATISTICS_RECIPIENTS", default=[]),
    "monthly": env.list("KPI_MONTHLY_REPORT_RECIPIENTS", default=[]),
    "weekly": env.list("KPI_WEEKLY_REPORT_RECIPIENTS", default=[]),
    "quarterly": env.list("KPI_QUARTERLY_REPORT_RECIPIENTS", default=[]),
}
# The Chromium that prints the report's HTML to PDF (skipped when absent).
KPI_CHROMIUM = env("KPI_CHROMIUM", default="/usr/bin/chromium")

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="json")  # "json" for log shippers, "text" for people
# Every handler redacts tracking links, one-time links and credentials (aftersales/core/logging.py).
LOGGING = logging_config(level=LOG_LEVEL, log_format=LOG_FORMAT)
