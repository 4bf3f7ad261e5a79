"""What a case's customer sees of its history: public events, with roles instead of staff names."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from ..roles import AGENT, SUPERVISOR, TECHNICIAN
from .spec import CaseSpec


def role_shown_to_customer(*, by_customer: bool, actor) -> tuple[str, str]:
    """Who acted on a customer's case, as a role the customer understands; never a staff name.

    ``actor`` should come with its groups prefetched when called for a whole timeline.
    """
    if by_customer:
        return "customer", _("You")
    if actor is None:
        return "system", _("System")
    groups = {group.name for group in actor.groups.all()}
    if SUPERVISOR in groups:
        return "supervisor", _("Service supervisor")
    if TECHNICIAN in groups and AGENT not in groups:
        return "technician", _("Technician")
    return "service", _("Customer service")


@dataclass(frozen=True)
class TimelineEntry:
    """One public event of a case as its customer sees it."""

    at: datetime
    action: str
    label: str
    status: str
    by: str
    by_label: str
    note: str


def customer_timeline(
    events: Iterable, *, label: Callable[[str], str], note_actions: tuple = ("note",)
) -> list[TimelineEntry]:
    """Public events (``actor`` and its groups fetched) with roles instead of staff names.

    A note is shown where the customer wrote it or the event is one of ``note_actions`` (a note
    staff published); transition notes and event details stay inside.
    """
    timeline = []
    for event in events:
        by, by_label = role_shown_to_customer(by_customer=event.by_customer, actor=event.actor)
        shows_note = event.by_customer or event.action in note_actions
        timeline.append(
            TimelineEntry(
                at=event.created_at,
                action=event.action,
                label=label(event.action),
                status=event.to_status,
                by=by,
                by_label=str(by_label),
                note=event.note if shows_note else "",
            )
        )
    return timeline


def case_events(spec: CaseSpec, case):
    """The whole history for staff, internal notes included, oldest first."""
    return (
        spec.event_model._default_manager.filter(**{spec.case_field: case})
        .select_related("actor")
        .order_by("created_at", "id")
    )


def case_customer_timeline(spec: CaseSpec, case) -> list[TimelineEntry]:
    """The customer's timeline of ``case``: its public events, labelled for the customer."""
    events = (
        spec.event_model._default_manager.filter(**{spec.case_field: case}, public=True)
        .select_related("actor")
        .prefetch_related("actor__groups")
        .order_by("created_at", "id")
    )
    labels = spec.customer_event_labels

    def label(action: str) -> str:
        if action in spec.actions:
            return str(spec.actions[action].label)
        return str(labels[action]) if action in labels else _("Update")

    return customer_timeline(events, label=label, note_actions=spec.customer_note_actions)
