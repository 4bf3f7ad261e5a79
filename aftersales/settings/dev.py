"""Local development and `make run`: debug on, readable logs, mail printed to the console."""

from pathlib import Path

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
LOGGING["handlers"]["console"]["formatter"] = env("LOG_FORMAT", default="text")  # noqa: F405
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")

# Serve static files straight from the app folders (no collectstatic needed while developing).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns when it is missing
