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

from rest_framework import serializers

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


def register_trackable(trackable: Trackable, *, model=None) -> None:
    """Called through ``cases.register_case``; registering a kind again replaces it (autoreload).

    ``model`` is the case model the trackable serves (the tracking links point at its rows).
    """
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


# --- what every case shows its customer ---------------------------------------------------------


def tracking_time(value: datetime | None) -> str | None:
    """ISO-8601 in the service's local time, with its offset (as the staff API renders times)."""
    return serializers.DateTimeField().to_representation(value) if value else None


class CaseTrackable:
    """The rows a ticket's or complaint's customer view has in common: timeline, promises, files.

    The app's trackable names its ``status_choices`` and ``clock_names`` and builds the rest of
    ``represent`` (type, resolution, quote…) itself.
    """

    kind = ""
    status_choices: Any = None
    clock_names: Any = None

    def timeline_rows(self, timeline) -> list[dict]:
        statuses = self.status_choices
        return [
            {
                "at": tracking_time(entry.at),
                "action": entry.action,
                "label": entry.label,
                "status": entry.status or None,
                "status_label": statuses(entry.status).label if entry.status in statuses.values else None,
                "by": entry.by,
                "by_label": entry.by_label,
                "note": entry.note,
            }
            for entry in timeline
        ]

    def clock_rows(self, clocks) -> list[dict]:
        names = self.clock_names
        return [
            {
                "name": clock.name,
                "label": names(clock.name).label if clock.name in names.values else clock.name,
                # While paused (the customer considers a proposal, parts are awaited) the due time will move.
                "due_at": None if clock.state == clock.State.PAUSED else tracking_time(clock.due_at),
                "met_at": tracking_time(clock.met_at),
                "state": clock.state,
            }
            for clock in clocks
        ]

    def attachment_rows(self, subject) -> list[dict]:
        return [
            {
                "id": attachment.pk,
                "name": attachment.original_name,
                "size": attachment.size,
                "content_type": attachment.content_type,
                "created_at": tracking_time(attachment.created_at),
                "by": "customer" if attachment.by_customer else "service",
            }
            for attachment in self._attachments(subject)
        ]

    def _attachments(self, subject):
        # The customer's own files, and those staff chose to show (as with notes).
        return subject.attachments.filter(public=True).order_by("created_at", "id")

    def attachment(self, subject, attachment_id: int):
        """One file the customer may download through their link, or None."""
        return self._attachments(subject).filter(pk=attachment_id).first()
