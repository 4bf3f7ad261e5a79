"""Reads for the staff screens (admin filters and columns, API lists) that ``selectors.py`` lacks.

The warranty state of a unit depends on the policy version in force at its purchase, so "in
warranty today" cannot be a plain column comparison. As in ``selectors.units_expiring``, each policy
version turns into a range of purchase dates, so a filter is one SQL query whatever the number of
units, and it agrees with ``periods.last_covered_day`` (the decision's own arithmetic) day by day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q

from .models import ComponentWarranty, ExtendedWarranty, WarrantyPolicy
from .periods import last_covered_day

ONE_DAY = timedelta(days=1)
NOTHING = Q(pk__in=[])


def first_purchase_covering(months: int, day: date) -> date:
    """The earliest purchase date whose period of ``months`` still covers ``day``.

    ``last_covered_day`` is non-decreasing in the purchase date (29–31 January all end on 28
    February a month later), so the purchase dates covering ``day`` are exactly those from here on.
    """
    candidate = last_covered_day(day, -months) - 4 * ONE_DAY
    while last_covered_day(candidate, months) < day:
        candidate += ONE_DAY
    while last_covered_day(candidate - ONE_DAY, months) >= day:
        candidate -= ONE_DAY
    return candidate


@dataclass(frozen=True)
class PolicyWindow:
    """The purchase dates [first, end) that keep ``policy`` for life."""

    policy: WarrantyPolicy
    first: date
    end: date | None

    def purchases(self, *, since: date | None = None, before: date | None = None) -> Q:
        """Units of this model bought in this window, optionally narrowed to [since, before)."""
        first = max(self.first, since) if since else self.first
        condition = Q(product_model_id=self.policy.product_model_id, purchase_date__gte=first)
        ends = [end for end in (self.end, before) if end is not None]
        if ends:
            if min(ends) <= first:
                return NOTHING
            condition &= Q(purchase_date__lt=min(ends))
        return condition


def policy_windows(policies: Iterable[WarrantyPolicy] | None = None) -> list[PolicyWindow]:
    """Every policy version with its purchase-date window (one query when not given the policies)."""
    if policies is None:
        policies = WarrantyPolicy.objects.order_by("product_model_id", "effective_from")
    by_model: dict[int, list[WarrantyPolicy]] = {}
    for policy in sorted(policies, key=lambda item: (item.product_model_id, item.effective_from)):
        by_model.setdefault(policy.product_model_id, []).append(policy)
    windows = []
    for versions in by_model.values():
        for index, policy in enumerate(versions):
            end = versions[index + 1].effective_from if index + 1 < len(versions) else None
            windows.append(PolicyWindow(policy=policy, first=policy.effective_from, end=end))
    return windows


def _any(conditions: Iterable[Q]) -> Q:
    combined = NOTHING
    for condition in conditions:
        combined |= condition
    return combined


def base_cover_condition(*, today: date, windows: list[PolicyWindow] | None = None) -> Q:
    """Units whose base warranty covers ``today``."""
    windows = policy_windows() if windows is None else windows
    return _any(window.purchases(since=first_purchase_covering(window.policy.base_months, today)) for window in windows)


def component_cover_condition(*, today: date, windows: list[PolicyWindow] | None = None) -> Q:
    """Units with at least one component warranty (a compressor's 5 years, say) running on ``today``."""
    windows = policy_windows() if windows is None else windows
    by_policy = {window.policy.pk: window for window in windows}
    longest: dict[int, int] = {}
    for policy_id, months in ComponentWarranty.objects.values_list("policy_id", "months"):
        longest[policy_id] = max(months, longest.get(policy_id, 0))
    return _any(
        by_policy[policy_id].purchases(since=first_purchase_covering(months, today))
        for policy_id, months in longest.items()
        if policy_id in by_policy
    )


def extended_cover_condition(*, today: date) -> Q:
    """Units with an extended warranty contract in force on ``today`` (a subquery, not a join)."""
    contracts = ExtendedWarranty.objects.filter(starts_on__lte=today, ends_on__gte=today)
    return Q(pk__in=contracts.values("unit_id"))


def in_warranty_condition(*, today: date) -> Q:
    """In warranty for an ordinary fault today: the base warranty or an extended contract covers it."""
    return base_cover_condition(today=today) | extended_cover_condition(today=today)


def component_only_condition(*, today: date) -> Q:
    """Out of the base warranty and any contract, but a component warranty still runs."""
    windows = policy_windows()
    return component_cover_condition(today=today, windows=windows) & ~(
        base_cover_condition(today=today, windows=windows) | extended_cover_condition(today=today)
    )


def base_expiry_condition(*, first: date, last: date) -> Q:
    """Units whose base warranty's last covered day falls between ``first`` and ``last``."""
    return _any(
        window.purchases(
            since=first_purchase_covering(window.policy.base_months, first),
            before=first_purchase_covering(window.policy.base_months, last + ONE_DAY),
        )
        for window in policy_windows()
    )


def policy_from_prefetched(policies: Iterable[WarrantyPolicy], purchase_date: date) -> WarrantyPolicy | None:
    """The version in force at ``purchase_date`` among a model's prefetched policies (no query)."""
    in_force = [policy for policy in policies if policy.effective_from <= purchase_date]
    return max(in_force, key=lambda policy: policy.effective_from, default=None)


def base_warranty_until(purchase_date: date, policy: WarrantyPolicy | None) -> date | None:
    """The last day of the base warranty, or None without a policy (or past the calendar's end)."""
    if policy is None:
        return None
    try:
        return last_covered_day(purchase_date, policy.base_months)
    except (ValueError, OverflowError):  # a purchase date near 9999-12-31 typed by mistake
        return None
