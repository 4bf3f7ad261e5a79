"""Local development and `make run`: readable logs, mail printed to the console.

Debug is opt-in (``DEBUG=1 make run``): a newcomer trying an unknown address sees the portal's own
404 page, not Django's debug page listing every route (issue 14).
"""

from pathlib import Path

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=False)
LOGGING["handlers"]["console"]["formatter"] = env("LOG_FORMAT", default="text")  # noqa: F405
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")

# Serve static files straight from the app folders (no collectstatic needed while developing).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns when it is missing
