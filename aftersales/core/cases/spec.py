"""What a kind of case declares about itself, and the registry the shared machinery reads.

A kind of case (tickets, complaints, incidents next) is an app whose main model moves through a
django-fsm state machine, keeps an append-only event table, may have files, SLA clocks and a customer
behind a tracking link. Instead of copying another app, it declares a ``CaseSpec`` and registers it
in its ``AppConfig.ready``::

    from aftersales.core.cases import register_case
    register_case(TICKETS)

That one call feeds the SLA clock-handler registry (``core.sla.registry``), the trackable registry
behind ``/track/<token>/`` (``core.trackables``) and the kit's services (transitions, notes, customer
messages, attachments, the customer timeline); the app's ``CaseAdmin`` names the same spec.

Everything optional is optional on purpose: a kind without a customer portal leaves ``trackable``
None, a kind without SLA clocks leaves ``clocks`` None and ``clock_handlers`` empty.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import models
from django.utils.module_loading import import_string

Predicate = Callable[..., bool]


# --- actions ---------------------------------------------------------------------------------------


@dataclass
class ActionRun:
    """One action being performed: what the declared steps of its ``ActionSpec`` receive."""

    case: Any  # locked, and moved by the transition once ``record`` has run
    action: ActionSpec
    actor: Any
    by_customer: bool
    data: dict
    now: datetime
    before: str  # the status before the transition
    previous: Any  # a copy of the case as it was before the transition
    kwargs: dict = field(default_factory=dict)  # the transition method's keyword arguments

    @property
    def after(self) -> str:
        return self.case.status


@dataclass(frozen=True)
class Notice:
    """One message an action sends, through the outbox, in the action's transaction.

    ``to_customer``: SMS and email to the case's customer, in their language; else ``staff(run)``
    gives the people (in-app and email). ``key(run)`` is the outbox idempotency key.
    """

    template: str
    key: Callable[[ActionRun], str]
    to_customer: bool = False
    staff: Callable[[ActionRun], list] | None = None
    context: Callable[[ActionRun], dict] | None = None  # default: {"number": …}
    when: Callable[[ActionRun], bool] | None = None


@dataclass(frozen=True)
class ActionSpec:
    """One action of a case's state machine (a django-fsm transition method of the same name).

    Who may: ``permission`` (a Django permission of the staff member), ``customer_may`` (through the
    tracking link), and ``who(case, user, has_perm)`` for a rule on the person (the assignee, the
    owner), refused with ``who_refusal``. ``available(case, user, now)`` hides an action from the
    offered buttons when it cannot succeed now (a reopen window that is over).

    What it does, in the order the runner (``actions.case_transition``) takes them:
    ``prepare(case, data, actor, now)`` validates the request and returns the transition's keyword
    arguments — it reads, it never writes; ``record(run)`` writes the rows the transition points at
    (a quote, an entitlement snapshot) once everything is validated, returning more keyword
    arguments; the transition and ``save``; the event (``event_data(run)``, ``public``); then the
    declared effects: the clocks to ``stop``, ``cancel`` (with that note) or ``restart``, the
    ``notices``, and ``after(run)`` for anything else.
    """

    name: str
    label: Any
    permission: str | None
    customer_may: bool = False
    who: Callable[[Any, Any, Callable[[str], bool]], bool] | None = None
    who_refusal: str = "You may not do this."
    available: Callable[[Any, Any, datetime], bool] | None = None
    prepare: Callable[[Any, dict, Any, datetime], dict] | None = None
    record: Callable[[ActionRun], dict] | None = None
    stop: tuple[str, ...] = ()
    cancel: str | None = None
    restart: tuple[str, ...] = ()
    public: bool = True
    event_data: Callable[[ActionRun], dict] | None = None
    notices: tuple[Notice, ...] = ()
    after: Callable[[ActionRun], None] | None = None


def actions_by_name(*actions: ActionSpec) -> dict[str, ActionSpec]:
    return {action.name: action for action in actions}


@dataclass(frozen=True)
class PauseRule:
    """While the case is in one of ``statuses`` these clocks (default: its work clocks) are paused.

    Entering the statuses pauses them (with ``note``, default the new status), leaving them resumes
    those still paused — after the action's own clock moves, so a clock the action stops or cancels
    is not resumed first.
    """

    statuses: frozenset[str]
    clocks: tuple[str, ...] | None = None
    note: str | None = None


# --- who is concerned ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CasePeople:
    """Who works a case and may change it besides its actions.

    ``responsible(case)``: the named people (assignee, owner) — told about the customer's messages
    and files; ``desk(members)``: who is told while nobody is named (``members`` looks up a role).
    ``visible_to(user)``: the cases this user may see (the one rule of the admin, the API and the
    services). Notes need one of ``note_permissions``; a note or file the customer sees needs
    ``publish_permission``; adding files needs ``attach_permission``.
    """

    responsible: Callable[[Any], list]
    desk: Callable[..., list]
    visible_to: Callable[[Any], models.QuerySet]
    note_permissions: tuple[str, ...]
    publish_permission: str
    attach_permission: str = ""


@dataclass(frozen=True)
class CaseWording:
    """The few sentences that name the kind of case (each kind keeps its own translated wording)."""

    not_now: str = "{action} is not possible while the case is {status}."
    closed_to_files: Any = "This case is closed; files can no longer be added."
    too_many_files: Any = "A case holds at most %(max)d files; this one has reached the limit."


# --- the spec --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseSpec:
    """Everything the kit needs to know about one kind of case. See the module docstring."""

    kind: str  # "ticket", "complaint": the trackable's kind and the prefix of outbox keys
    model: type[models.Model]
    event_model: type[models.Model]  # a CaseEvent subclass
    actions: Mapping[str, ActionSpec]
    status_choices: Any  # the TextChoices of ``model.status``
    people: CasePeople
    lock_related: tuple[str, ...] = ()  # read with the locked case (select_related)
    conflicts: tuple[type[Exception], ...] = ()  # the kind's own "not now" refusals (409), besides the kit's
    wording: CaseWording = CaseWording()
    # SLA clocks (None: a kind without promises), their names' labels, and the rules that pause them.
    clocks: Any = None  # a clocks.PolicyClocks (or anything with its methods)
    clock_names: Any = None  # TextChoices of the clock names (labels in the admin and the portal)
    pauses: Sequence[PauseRule] = ()
    clock_handlers: Sequence[tuple[type[models.Model], Callable, bool]] = ()  # (subject model, handler, dependent)
    # Files (None: a kind without attachments).
    attachment_model: type[models.Model] | None = None
    max_attachments: int = 10
    closed_to_customer: frozenset[str] = frozenset()  # statuses in which the customer adds no files
    # The timeline: staff labels of events that are not actions, and what the customer sees.
    event_labels: Mapping[str, Any] = field(default_factory=dict)
    customer_event_labels: Mapping[str, Any] = field(default_factory=dict)
    customer_note_actions: tuple[str, ...] = ("note",)
    customer_message_template: str = ""
    # The customer's side (all None: a kind without a portal): a dotted path to the kind's Trackable
    # (core.trackables; what /track/<token>/ shows and does), the URL module of its intake page
    # (mounted at the site root by the portal shell), the template of its card on the portal's home
    # page and the URL name of the page where a customer starts one. ``portal_unit_query`` is the
    # query string that starts one for a known unit (``{serial}`` filled in), for pages such as the
    # warranty check that offer "request service for this product". ``portal_promises`` is a dotted
    # path to a function giving the home page's promise lines, worded from the kind's SLA policies.
    trackable: str | None = None
    portal_urls: str | None = None
    portal_card: str | None = None
    portal_start: str | None = None
    portal_unit_query: str | None = None
    portal_promises: str | None = None

    @property
    def case_field(self) -> str:
        return self.event_model.case_field  # type: ignore[attr-defined]

    def staff_url(self, case) -> str:
        """The case's page in the staff admin, as notifications link it."""
        opts = self.model._meta
        return f"/admin/{opts.app_label}/{opts.model_name}/{case.pk}/change/"

    def clock_label(self, name: str) -> str:
        names = self.clock_names
        return str(names(name).label) if names is not None and name in names.values else name

    def label_for(self, action: str, labels: Mapping[str, Any] | None = None) -> str:
        """An event's label: its action's, else ``labels`` (default: the staff labels)."""
        if action in self.actions:
            return str(self.actions[action].label)
        labels = self.event_labels if labels is None else labels
        return str(labels[action]) if action in labels else action


# --- the registry ----------------------------------------------------------------------------------

_cases: dict[str, CaseSpec] = {}


def register_case(spec: CaseSpec) -> None:
    """Called from ``AppConfig.ready``: the spec, its clock handlers and its trackable.

    Registering a kind again replaces it (autoreload, tests).
    """
    from ..sla.registry import register_clock_handler
    from ..trackables import register_trackable

    _cases[spec.kind] = spec
    for model, handler, dependent in spec.clock_handlers:
        register_clock_handler(model, handler, dependent=dependent)
    if spec.trackable:
        register_trackable(import_string(spec.trackable)(), model=spec.model)


def registered_cases() -> list[CaseSpec]:
    return list(_cases.values())


def case_spec(kind: str) -> CaseSpec:
    return _cases[kind]


def case_spec_for(model: type[models.Model]) -> CaseSpec | None:
    return next((spec for spec in _cases.values() if spec.model is model), None)
