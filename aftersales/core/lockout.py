"""Staff login lockout: after repeated failed logins, refuse further attempts for a while.

Counted per username (any address) and per client address (any username), in the cache (Redis in
production, so every web process shares the counts). Failures are counted from Django's
``user_login_failed`` signal, so the admin, the API token endpoint and any later login form are
covered alike; ``LockoutModelBackend`` refuses a locked username or address before the password is
checked. Settings (environment variables of the same name): ``LOGIN_LOCKOUT_FAILURES`` (5),
``LOGIN_LOCKOUT_IP_FAILURES`` (20), ``LOGIN_LOCKOUT_WINDOW`` (900 s), ``LOGIN_LOCKOUT_COOLDOWN`` (900 s).

A fixed window is enough here: the point is to make guessing a password slow, not to meter it.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

LOCKED_OUT_MESSAGE = _("Too many failed login attempts. Try again in %(minutes)d minutes.")


def _key(kind: str, subject: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]  # usernames are user input: keep keys tidy
    return f"login-lockout:{kind}:{subject}:{digest}"


def _subjects(username: str | None, ip: str | None) -> list[tuple[str, str, int]]:
    subjects = []
    if username:
        subjects.append(("user", username.strip().lower(), settings.LOGIN_LOCKOUT_FAILURES))
    if ip:
        subjects.append(("ip", ip, settings.LOGIN_LOCKOUT_IP_FAILURES))
    return subjects


def lockout_remaining(*, username: str | None, ip: str | None) -> int:
    """Seconds until this username and address may try again; 0 when they may now."""
    now = time.time()
    remaining = 0.0
    for subject, value, _limit in _subjects(username, ip):
        until = cache.get(_key("lock", subject, value))
        if until is not None:
            remaining = max(remaining, float(until) - now)
    return math.ceil(remaining) if remaining > 0 else 0


def lockout_register_failure(*, username: str | None, ip: str | None, request=None) -> bool:
    """Count one failed login; True when it locked the username or the address out."""
    if lockout_remaining(username=username, ip=ip):
        return False  # attempts refused during a lockout do not extend it
    locked = []
    for subject, value, limit in _subjects(username, ip):
        key = _key("fail", subject, value)
        cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_WINDOW)
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_WINDOW)
            failures = 1
        if failures >= limit:
            cooldown = settings.LOGIN_LOCKOUT_COOLDOWN
            cache.set(_key("lock", subject, value), time.time() + cooldown, timeout=cooldown)
            cache.delete(key)
            locked.append({"subject": subject, "failures": failures})
    if locked:
        from .audit import Action, audit_record

        audit_record(
            action=Action.LOCKED_OUT,
            request=request,
            username=username or "",
            details={"locked": locked, "cooldown_seconds": settings.LOGIN_LOCKOUT_COOLDOWN},
        )
    return bool(locked)


def lockout_clear(*, username: str | None) -> None:
    """A successful login forgets the username's failures (the address's count stays)."""
    if username:
        cache.delete(_key("fail", "user", username.strip().lower()))


def lockout_message(remaining_seconds: int) -> str:
    return LOCKED_OUT_MESSAGE % {"minutes": max(1, math.ceil(remaining_seconds / 60))}


class LockoutModelBackend(ModelBackend):
    """Django's model backend that refuses a locked-out username or address before checking the password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        from .audit import client_address

        if username is None:
            from django.contrib.auth import get_user_model

            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if lockout_remaining(username=username, ip=client_address(request)):
            # Stops authenticate() here: no other backend is tried and the password is not checked.
            raise PermissionDenied("locked out")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            lockout_clear(username=username)
        return user
