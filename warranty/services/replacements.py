"""Replacements outside the policy: requested by whoever handles the case, decided by a supervisor."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from aftersales.core import clock

from ..choices import ApprovalStatus
from ..models import EntitlementDecision, RegisteredUnit, SpecialReplacement
from .quotes import AlreadyAnswered

APPROVE_PERMISSION = "warranty.approve_specialreplacement"


@transaction.atomic
def special_replacement_request(
    *, unit: RegisteredUnit, reason: str, actor, decision: EntitlementDecision | None = None
) -> SpecialReplacement:
    if not reason.strip():
        raise ValidationError({"reason": "Say why the unit should be replaced outside the policy."})
    return SpecialReplacement.objects.create(
        unit=unit, decision=decision, reason=reason.strip(), requested_by=actor, requested_at=clock.now()
    )


@transaction.atomic
def special_replacement_decide(
    *, replacement: SpecialReplacement, approve: bool, actor, note: str = ""
) -> SpecialReplacement:
    """A supervisor approves or rejects (002 §19 特别更换条例: replacements need the department's approval)."""
    if not actor.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied("Only a supervisor may approve replacements outside the policy.")
    replacement = SpecialReplacement.objects.select_for_update().get(pk=replacement.pk)
    if replacement.status != ApprovalStatus.PENDING:
        raise AlreadyAnswered(f"the request is already {replacement.status}")
    if replacement.requested_by_id == actor.pk and not actor.is_superuser:
        raise PermissionDenied("A request is approved by someone other than the requester.")
    replacement.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED
    replacement.decided_by = actor
    replacement.decided_at = clock.now()
    replacement.decision_note = note
    replacement.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return replacement
