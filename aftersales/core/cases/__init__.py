"""The case kit: what tickets, complaints and every later kind of case share.

A *case* is a record a customer's matter moves through: a number, a customer, a django-fsm status
moved only by actions, an append-only event table, files, SLA clocks and — for kinds with a portal —
a tracking link. A kind declares a ``CaseSpec`` (``spec.py``) and registers it in ``AppConfig.ready``;
the kit then does the rest the same way for every kind:

- ``models``: the abstract ``CaseEvent`` and ``CaseAttachment`` the kind's tables inherit;
- ``locking``: the one lock order (clocks → case → dependent rows);
- ``actions``: the action skeleton (lock → authorize → can_proceed → validate → record →
  transition → save → event → declared effects) and ``actions_for``;
- ``events``, ``notes``, ``attachments``: appending events, staff notes and customer messages,
  files (limits, who may, public or internal, who is told);
- ``rules``: the predicates the services enforce and the admin and API ask;
- ``clocks``: the kind's SLA promises from its policy row;
- ``timeline``: what the customer sees of the history;
- ``intake``: finding the customer, units and files of a new case;
- ``contacts``: who hears about a case (the contact typed with it, else its customer).

Import from here.
"""

from .actions import action_check, actions_for, case_transition
from .attachments import attach_check, case_attach, customer_may_attach
from .clocks import PolicyClocks
from .contacts import (
    Contact,
    case_contact,
    case_customer_correct,
    contact_fields,
    contact_mismatch,
    may_correct_customer,
    typed_contact,
)
from .errors import ActionNotAllowed
from .events import MAX_NOTE, event_append
from .fields import clean_staff_user, clean_text, clean_time
from .intake import (
    MAX_INTAKE_ATTACHMENTS,
    UNREGISTERED_SERIAL,
    customer_for_reference,
    customer_for_request,
    customer_language,
    intake_attachments_check,
    known_unit,
    unregistered_serial_note,
)
from .locking import lock_case, lock_clocks, lock_dependent, lock_dependents
from .notes import case_customer_message, case_staff_note, clean_body, note_check, staff_to_tell
from .rules import may_attach, may_note, may_publish, may_see
from .spec import (
    ActionRun,
    ActionSpec,
    CasePeople,
    CaseSpec,
    CaseWording,
    Notice,
    PauseRule,
    actions_by_name,
    case_spec,
    case_spec_for,
    register_case,
    registered_cases,
)
from .timeline import TimelineEntry, case_customer_timeline, case_events, customer_timeline, role_shown_to_customer

__all__ = [
    "MAX_INTAKE_ATTACHMENTS",
    "MAX_NOTE",
    "UNREGISTERED_SERIAL",
    "ActionNotAllowed",
    "ActionRun",
    "ActionSpec",
    "CasePeople",
    "CaseSpec",
    "CaseWording",
    "Contact",
    "Notice",
    "PauseRule",
    "PolicyClocks",
    "TimelineEntry",
    "action_check",
    "actions_by_name",
    "actions_for",
    "attach_check",
    "case_attach",
    "case_contact",
    "case_customer_correct",
    "case_customer_message",
    "case_customer_timeline",
    "case_events",
    "case_spec",
    "case_spec_for",
    "case_staff_note",
    "case_transition",
    "clean_body",
    "clean_staff_user",
    "clean_text",
    "clean_time",
    "contact_fields",
    "contact_mismatch",
    "customer_for_reference",
    "customer_for_request",
    "customer_language",
    "customer_may_attach",
    "customer_timeline",
    "event_append",
    "intake_attachments_check",
    "known_unit",
    "lock_case",
    "lock_clocks",
    "lock_dependent",
    "lock_dependents",
    "may_attach",
    "may_correct_customer",
    "may_note",
    "may_publish",
    "may_see",
    "note_check",
    "register_case",
    "registered_cases",
    "role_shown_to_customer",
    "staff_to_tell",
    "typed_contact",
    "unregistered_serial_note",
]
