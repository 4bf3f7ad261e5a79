"""The one lock order of every case: its SLA clocks → the case → its dependent rows.

Every transaction that changes a case — a transition, a note, a customer message, a file, a part, a
corrective action, a survey answer — and the SLA sweep's handlers take their row locks in this order,
and never go back up it:

1. **the SLA clocks** of the case (and of a dependent row that has clocks of its own, such as a
   corrective action), in primary-key order;
2. **the case row** itself (``SELECT … FOR UPDATE OF`` the case's table only);
3. **its dependent rows** — surveys, follow-ups, standby units and loans, corrective actions,
   late-promise reports, linked duplicates — each kind in primary-key order.

Why this order: the sweep (``core/sla/sweep.py``) claims due clocks first, with ``SKIP LOCKED`` so it
never waits on them, and only then its handlers lock the clocks' subjects (``handle_in_batch``: the
case rows of a batch in pk order, the dependent kinds after every case kind, see
``core.sla.registry.dispatch``). A transition waiting for a clock the sweep holds therefore holds
nothing the sweep waits for, and two transitions on one case queue on its first clock. A service
that needs a row of level 3 without changing the case may skip level 2, but nobody locks a case or a
clock while holding one of its dependent rows. The concurrency tests in ``core/tests/test_case_kit.py``
race a transition against the sweep and a dependent write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q, QuerySet

from ..models import SlaClock

M = TypeVar("M", bound=models.Model)


def lock_clocks(subjects: Iterable[tuple[type[models.Model], int]]) -> None:
    """Level 1: the clocks of these subjects ((model, pk) pairs), in primary-key order."""
    condition = Q()
    for model, pk in subjects:
        condition |= Q(content_type=ContentType.objects.get_for_model(model), object_id=pk)
    if condition:
        list(SlaClock.objects.select_for_update().filter(condition).order_by("pk").values_list("pk", flat=True))


def lock_case(
    model: type[M],
    pk: int,
    *,
    select_related: Sequence[str] = (),
    also_clocks_of: Iterable[tuple[type[models.Model], int]] = (),
) -> M:
    """Levels 1 and 2: the case's clocks (and ``also_clocks_of``'s), then the case row, re-read.

    Only the case's own table is locked (``of=("self",)``): the rows it is read with are not.
    """
    lock_clocks([(model, pk), *also_clocks_of])
    return model._default_manager.select_for_update(of=("self",)).select_related(*select_related).get(pk=pk)


def lock_dependents(rows: QuerySet[M]) -> list[M]:
    """Level 3: dependent rows of a case whose levels 1–2 the caller holds, in primary-key order."""
    return list(rows.select_for_update(of=("self",)).order_by("pk"))


def lock_dependent(rows: QuerySet[M], pk: Any) -> M:
    """Level 3: one dependent row (``DoesNotExist`` if it is not among ``rows``)."""
    return rows.select_for_update(of=("self",)).get(pk=pk)
