"""What a customer follows through a secret link: one lookup behind ``/track/<token>/``.

Every kind of case hands the customer tracking links (only their hashes are stored, in
``TrackingLink``, see tracking.py). The public endpoints do not know which kind a token belongs to:
the link names the case by content type and id, and each kind registers a ``Trackable`` for its
model (through ``cases.register_case``).

A trackable answers ``load`` (id → the case, read for the customer's view, or None), ``represent``
(what the customer may see, as JSON-ready data) and ``perform`` (a customer action: ``message``,
``confirm``, ``rate``, ``reopen`` and whatever else the kind supports), translating its own
exceptions into the two below so the shared views can answer 409 and 404 without knowing the kind.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from django.contrib.contenttypes.models import ContentType
from rest_framework import serializers

from .tracking import tracking_link_lookup, tracking_token_hash

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

    def load(self, pk: int) -> Any | None: ...

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
_by_model: dict[str, Trackable] = {}


def register_trackable(trackable: Trackable, *, model) -> None:
    """Called through ``cases.register_case``; registering a kind again replaces it (autoreload).

    ``model`` is the case model the trackable serves (the tracking links point at its rows).
    """
    _registry[trackable.kind] = trackable
    _by_model[model._meta.label_lower] = trackable


def registered_trackables() -> list[Trackable]:
    return list(_registry.values())


def trackable_find(token: str) -> Tracked | None:
    """The case behind a customer's token, or None — the same for unknown and malformed tokens.

    One indexed lookup of the token's hash; a malformed token is replaced by one that was never
    issued, so neither the answer nor the work done tells a guesser which part of it was wrong.
    """
    well_formed = isinstance(token, str) and _TOKEN.fullmatch(token) is not None
    found = tracking_link_lookup(tracking_token_hash(token if well_formed else _NEVER_ISSUED))
    if found is None or not well_formed:
        return None
    content_type_id, object_id = found
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    trackable = _by_model.get(model._meta.label_lower) if model is not None else None
    if trackable is None:  # a kind no longer registered: its links open nothing
        return None
    subject = trackable.load(object_id)
    return Tracked(trackable=trackable, subject=subject) if subject is not None else None


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
    model: Any = None  # the case model
    related: tuple[str, ...] = ()  # read with the case for the customer's view

    def load(self, pk: int):
        return self.model.objects.select_related(*self.related).filter(pk=pk).first()

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
