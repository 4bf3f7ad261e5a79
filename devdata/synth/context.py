"""What every part of one synthetic load shares: the seed and its random stream, *now*, the reference
rows, the COPY writer, the case numbers, the tracking links and the counts reported at the end."""

from __future__ import annotations

import hashlib
import math
import random
from base64 import urlsafe_b64encode
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import models

from aftersales.core.models import TrackingLink
from aftersales.core.tracking import tracking_token_hash

from .bulk import CopyWriter, Table, next_id
from .numbering import Numbers
from .reference import Reference


@dataclass
class SynthResult:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    open_tickets: int = 0
    open_clocks: int = 0  # running, paused or breached (unanswered CSAT clocks stay breached)
    counting_clocks: int = 0  # with a next_check_at: what the sweep will look at


def tracking_token_for(seed: int, ticket_id: int, prefix: str = "t") -> str:
    """The tracking token of a synthetic ticket (``prefix="c"``: complaint); only its hash is stored."""
    digest = hashlib.sha256(f"synth:{seed}:{prefix}:{ticket_id}".encode()).digest()
    return urlsafe_b64encode(digest[:24]).decode()


def weighted(rng: random.Random, pairs) -> Callable[[], str]:
    """A picker of ``value`` from ``(value, weight)`` pairs, drawing one number from ``rng`` per pick."""
    values = [value for value, _ in pairs]
    cumulative = []
    total = 0
    for _, weight in pairs:
        total += weight
        cumulative.append(total)

    def pick() -> str:
        return values[bisect_left(cumulative, rng.random() * total)]

    return pick


@dataclass
class Population:
    """The synthetic customers and units, by index (``first_* + index`` is the row id)."""

    first_customer: int = 0
    customer_count: int = 0
    customer_region: list[int] = field(default_factory=list)
    customer_tier: list[str] = field(default_factory=list)
    first_unit: int = 0
    unit_count: int = 0


class Run:
    def __init__(self, *, tickets: int, seed: int, now: datetime, reference: Reference, log) -> None:
        self.total = tickets
        self.seed = seed
        self.now = now
        self.ref = reference
        self.log = log
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
        self.span_days = min(730, max(30, math.ceil(tickets / 1000)))
        self.writer = CopyWriter()
        self.result = SynthResult()
        self.population = Population()
        self.ticket_numbers = Numbers("T")
        self.complaint_numbers = Numbers("C")
        # (closed_at, ticket_id, customer_id, unit_id, draw): closed tickets a complaint will be about.
        self.pending_complaints: list[tuple] = []
        self.links = Table(TrackingLink, ["token_hash", "content_type_id", "object_id", "purpose", "created_at"], now)
        self.next_link = next_id(TrackingLink)

    def link(self, pk: int, model: type[models.Model], prefix: str, created: datetime) -> None:
        """The case's intake link; its token is ``tracking_token_for`` (benchmarks open tracking pages)."""
        token_hash = tracking_token_hash(tracking_token_for(self.seed, pk, prefix))
        content_type = ContentType.objects.get_for_model(model).pk
        self.links.add(self.next_link, (token_hash, content_type, pk, TrackingLink.Purpose.INTAKE, created))
        self.next_link += 1
