"""What a customer follows through a secret link: one lookup behind ``/track/<token>/``.

Service requests and complaints both hand the customer a tracking token (only its hash is stored,
see tracking.py). The public endpoints do not know which app a token belongs to; each app
registers a ``Trackable`` in its ``AppConfig.ready`` and the lookup asks every one of them.

A trackable answers ``find`` (hash → subject or None), ``represent`` (what the customer may see,
as JSON-ready data) and ``perform`` (a customer action: ``message``, ``confirm``, ``rate``,
``reopen`` and whatever else the kind supports), translating its own exceptions into the two below
so the shared views can answer 409 and 404 without knowing the app.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from .tracking import tracking_token_hash

# token_urlsafe output; generous bounds so a future longer token still fits.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
# Hashed in place of a malformed token, so every lookup costs the same queries and finds nothing.
_NEVER_ISSUED = "!" + secrets.token_urlsafe(24)


class TrackingConflict(Exception):
    """The action does not fit the subject's state or time (rated already, reopen window over): 409."""


class TrackingActionUnsupported(Exception):
    """This kind of subject has no such customer action: 404."""


class Trackable(Protocol):
    kind: str

    def find(self, token_hash: str) -> Any | None: ...

    def represent(self, subject: Any, *, now: datetime) -> dict: ...

    def perform(self, subject: Any, action: str, payload: dict, *, now: datetime) -> None: ...


@dataclass(frozen=True)
class Tracked:
    trackable: Trackable
    subject: Any

    @property
    def kind(self) -> str:
        return self.trackable.kind


_registry: dict[str, Trackable] = {}


def register_trackable(trackable: Trackable) -> None:
    """Called from ``AppConfig.ready``; registering a kind again replaces it (autoreload)."""
    _registry[trackable.kind] = trackable


def registered_trackables() -> list[Trackable]:
    return list(_registry.values())


def trackable_find(token: str) -> Tracked | None:
    """The subject behind a customer's token, or None — the same for unknown and malformed tokens.

    Every registered kind is asked every time (no early return) and a malformed token is replaced
    by one that was never issued, so neither the answer nor the work done tells a guesser which
    part of the token was wrong or which kind it belonged to.
    """
    well_formed = isinstance(token, str) and _TOKEN.fullmatch(token) is not None
    token_hash = tracking_token_hash(token if well_formed else _NEVER_ISSUED)
    found = None
    for trackable in registered_trackables():
        subject = trackable.find(token_hash)
        if subject is not None and found is None:
            found = Tracked(trackable=trackable, subject=subject)
    return found if well_formed else None
