"""Staff login lockout that slows password guessing without handing anyone a way to lock the real user out.

Failed logins are counted in the cache (Redis in production, so every web process shares the counts)
from Django's ``user_login_failed`` signal, so the admin, the API token endpoint and any later login
form share them; ``LockoutModelBackend`` refuses a locked attempt before the password is checked.

Counted, each within ``LOGIN_LOCKOUT_WINDOW`` and locking for ``LOGIN_LOCKOUT_COOLDOWN`` seconds:

- per **address and username** (``LOGIN_LOCKOUT_FAILURES``, 5): one client guessing one account;
- per **address** (``LOGIN_LOCKOUT_IP_FAILURES``, 20): one client trying many accounts;
- per **username**, from every address (``LOGIN_LOCKOUT_USERNAME_FAILURES``, 20): guessing spread
  over many addresses — this lock applies only to browsers that are not a **known device**.

A known device (OWASP's "device cookies") is a browser or API client in which this user signed in
successfully before: every successful login sets a signed cookie (``LOGIN_DEVICE_COOKIE_NAME``,
``LOGIN_DEVICE_COOKIE_AGE``, 180 days) naming the device and, keyed, the users who signed in with it.
Such an attempt is counted only on its own device-and-username counter (``LOGIN_LOCKOUT_FAILURES``),
so a stranger's failures — from anywhere — never keep the real user out of their own browser, and a
stolen cookie buys five guesses per window, no more. Before, anyone could lock any known username for
15 minutes with 5 wrong tries.

A fixed window is enough here: the point is to make guessing slow, not to meter it.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

LOCKED_OUT_MESSAGE = _("Too many failed login attempts. Try again in %(minutes)d minutes.")
_DEVICE_SALT = "aftersales.core.lockout.device"
_DEVICE_USERS = 5  # usernames one device remembers (a shared workstation)
_PENDING_COOKIE = "_aftersales_device_cookie"


@dataclass(frozen=True)
class Counter:
    subject: str  # "pair", "ip", "user", "device"
    value: str
    limit: int


@dataclass(frozen=True)
class LoginAttempt:
    username: str  # as typed, normalised ("" when none was given)
    address: str | None
    device: str | None  # the device id, when a valid device cookie names this username

    def counters(self) -> list[Counter]:
        failures = settings.LOGIN_LOCKOUT_FAILURES
        if self.device and self.username:
            return [Counter("device", f"{self.device}|{self.username}", failures)]
        counters = []
        if self.username and self.address:
            counters.append(Counter("pair", f"{self.address}|{self.username}", failures))
        if self.address:
            counters.append(Counter("ip", self.address, settings.LOGIN_LOCKOUT_IP_FAILURES))
        if self.username:
            counters.append(Counter("user", self.username, settings.LOGIN_LOCKOUT_USERNAME_FAILURES))
        return counters


def _normalised(username) -> str:
    return username.strip().lower() if isinstance(username, str) else ""


def _user_key(username: str) -> str:
    """Keyed, so the cookie neither shows nor confirms who signed in on this device."""
    return salted_hmac(_DEVICE_SALT, username).hexdigest()[:16]


def _device_cookie(request) -> dict | None:
    raw = getattr(request, "COOKIES", {}).get(settings.LOGIN_DEVICE_COOKIE_NAME) if request is not None else None
    if not raw:
        return None
    try:
        value = signing.loads(raw, salt=_DEVICE_SALT, max_age=settings.LOGIN_DEVICE_COOKIE_AGE)
    except signing.BadSignature:  # forged, altered or too old: an unknown device
        return None
    if not isinstance(value, dict) or not isinstance(value.get("d"), str) or not isinstance(value.get("u"), list):
        return None
    return value


def login_attempt(request, *, username) -> LoginAttempt:
    from .audit import client_address

    username = _normalised(username)
    cookie = _device_cookie(request)
    device = cookie["d"] if cookie and username and _user_key(username) in cookie["u"] else None
    return LoginAttempt(username=username, address=client_address(request), device=device)


def _key(kind: str, counter: Counter) -> str:
    digest = hashlib.sha256(counter.value.encode()).hexdigest()[:32]  # user input: keep keys tidy
    return f"login-lockout:{kind}:{counter.subject}:{digest}"


def lockout_remaining(request, *, username) -> int:
    """Seconds until this attempt (address, username, device) may try again; 0 when it may now."""
    now = time.time()
    remaining = 0.0
    for counter in login_attempt(request, username=username).counters():
        until = cache.get(_key("lock", counter))
        if until is not None:
            remaining = max(remaining, float(until) - now)
    return math.ceil(remaining) if remaining > 0 else 0


def lockout_register_failure(request, *, username) -> bool:
    """Count one failed login; True when it locked something (audited with what it locked)."""
    if lockout_remaining(request, username=username):
        return False  # attempts refused during a lockout do not extend it
    locked = []
    for counter in login_attempt(request, username=username).counters():
        key = _key("fail", counter)
        cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_WINDOW)
        try:
            failures = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=settings.LOGIN_LOCKOUT_WINDOW)
            failures = 1
        if failures >= counter.limit:
            cooldown = settings.LOGIN_LOCKOUT_COOLDOWN
            cache.set(_key("lock", counter), time.time() + cooldown, timeout=cooldown)
            cache.delete(key)
            locked.append({"subject": counter.subject, "failures": failures})
    if locked:
        from .audit import Action, audit_record

        audit_record(
            action=Action.LOCKED_OUT,
            request=request,
            username=username or "",
            details={"locked": locked, "cooldown_seconds": settings.LOGIN_LOCKOUT_COOLDOWN},
        )
    return bool(locked)


def lockout_succeeded(request, *, username) -> None:
    """A correct password: forget this attempt's own failures and remember the device.

    The username's count from every address stays — the real user signing in must not wipe the
    count of someone guessing their password elsewhere — as does the address's.
    """
    attempt = login_attempt(request, username=username)
    for counter in attempt.counters():
        if counter.subject in ("pair", "device"):
            cache.delete(_key("fail", counter))
    if request is None or not attempt.username:
        return
    cookie = _device_cookie(request) or {"d": secrets.token_urlsafe(16), "u": []}
    users = [key for key in cookie["u"] if key != _user_key(attempt.username)]
    cookie["u"] = [_user_key(attempt.username), *users][:_DEVICE_USERS]
    # DRF wraps the Django request; the cookie goes on the response the middleware sees.
    target = getattr(request, "_request", request)
    setattr(target, _PENDING_COOKIE, signing.dumps(cookie, salt=_DEVICE_SALT))


def lockout_message(remaining_seconds: int) -> str:
    return LOCKED_OUT_MESSAGE % {"minutes": max(1, math.ceil(remaining_seconds / 60))}


class LockoutModelBackend(ModelBackend):
    """Django's model backend that refuses a locked-out attempt before checking the password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            from django.contrib.auth import get_user_model

            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if lockout_remaining(request, username=username):
            # Stops authenticate() here: no other backend is tried and the password is not checked.
            raise PermissionDenied("locked out")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            lockout_succeeded(request, username=username)
        return user


class KnownDeviceMiddleware:
    """Sets the known-device cookie on the response to a successful login (``lockout_succeeded``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        value = getattr(request, _PENDING_COOKIE, None)
        if value:
            response.set_cookie(
                settings.LOGIN_DEVICE_COOKIE_NAME,
                value,
                max_age=settings.LOGIN_DEVICE_COOKIE_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
