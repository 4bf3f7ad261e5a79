"""Synthetic complaints: about 1 closed ticket in 50, received within a week of its closing, each finished.

95 % go received → acknowledged → investigating → proposed → confirmed → closed with the supervisor as
owner; 5 % are withdrawn by the customer. No SLA clocks are written for them (they would all be met).
"""

from __future__ import annotations

from datetime import timedelta

from complaints.choices import Category, Cause, ResolutionType, Severity
from complaints.choices import Channel as ComplaintChannel
from complaints.choices import Status as ComplaintStatus
from complaints.models import Complaint, ComplaintEvent

from .bulk import Table, next_id
from .context import Run

MINUTE = 60
HOUR = 3600
DAY = 86400


def write_complaints(run: Run) -> None:
    """One complaint per closed ticket picked by ``tickets``, finished (closed, or withdrawn) with its events."""
    rng = run.rng
    now = run.now
    complaints = Table(
        Complaint,
        [
            "number",
            "channel",
            "category",
            "severity",
            "status",
            "customer_id",
            "unit_id",
            "description",
            "owner_id",
            "sla_policy_id",
            "promised_by",
            "cause",
            "findings",
            "resolution_type",
            "resolution",
            "proposed_by_id",
            "approved_by_id",
            "approved_at",
            "created_at",
            "acknowledged_at",
            "proposed_at",
            "confirmed_at",
            "closed_at",
            "withdrawn_at",
            "updated_at",
        ],
        now,
    )
    events = Table(
        ComplaintEvent,
        ["complaint_id", "action", "from_status", "to_status", "actor_id", "by_customer", "data", "created_at"],
        now,
    )
    links = Table(Complaint.tickets.through, ["complaint_id", "ticket_id"], now)
    next_complaint = next_id(Complaint)
    next_event = next_id(ComplaintEvent)
    next_link = next_id(Complaint.tickets.through)
    categories = list(Category.values)
    channels = list(ComplaintChannel.values)
    owner = run.ref.supervisors[-1].pk
    run.pending_complaints.sort()
    for closed_at, ticket_id, customer_id, unit_id, draw in run.pending_complaints:
        pk = next_complaint
        next_complaint += 1
        severity = Severity.GENERAL if draw < 0.85 else Severity.MAJOR if draw < 0.98 else Severity.CRITICAL
        policy = run.ref.complaint_policies.get(severity)
        created = closed_at + timedelta(seconds=rng.randrange(HOUR, 7 * DAY))
        category = categories[rng.randrange(len(categories))]
        steps = [("create", "", ComplaintStatus.RECEIVED, None, True, created)]
        at = created + timedelta(seconds=rng.randrange(10 * MINUTE, 8 * HOUR))
        values = {"acknowledged_at": None, "proposed_at": None, "confirmed_at": None, "closed_at": None}
        values["withdrawn_at"] = None
        if draw > 0.95:  # 5 %: the customer withdrew it
            steps.append(("withdraw", ComplaintStatus.RECEIVED, ComplaintStatus.WITHDRAWN, None, True, at))
            status, values["withdrawn_at"] = ComplaintStatus.WITHDRAWN, at
            cause = resolution_type = ""
        else:
            values["acknowledged_at"] = at
            steps.append(("acknowledge", ComplaintStatus.RECEIVED, ComplaintStatus.ACKNOWLEDGED, owner, False, at))
            at += timedelta(seconds=rng.randrange(HOUR, DAY))
            steps.append(("investigate", ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.INVESTIGATING, owner, False, at))
            at += timedelta(seconds=rng.randrange(HOUR, 3 * DAY))
            values["proposed_at"] = at
            steps.append(
                ("propose_resolution", ComplaintStatus.INVESTIGATING, ComplaintStatus.PROPOSED, owner, False, at)
            )
            at += timedelta(seconds=rng.randrange(HOUR, 2 * DAY))
            values["confirmed_at"] = at
            steps.append(("confirm", ComplaintStatus.PROPOSED, ComplaintStatus.CONFIRMED, None, True, at))
            at += timedelta(seconds=rng.randrange(HOUR, DAY))
            values["closed_at"] = at
            steps.append(("close", ComplaintStatus.CONFIRMED, ComplaintStatus.CLOSED, owner, False, at))
            status, cause, resolution_type = ComplaintStatus.CLOSED, Cause.SERVICE, ResolutionType.EXPLANATION
        proposed = status == ComplaintStatus.CLOSED
        complaints.add(
            pk,
            (
                run.complaint_numbers.next(created),
                channels[rng.randrange(len(channels))],
                category,
                severity,
                status,
                customer_id,
                unit_id,
                "Synthetic complaint.",
                owner if proposed else None,
                policy.pk if policy else None,
                values["acknowledged_at"] + timedelta(days=3) if proposed else None,
                cause,
                "Synthetic findings." if proposed else "",
                resolution_type,
                "Synthetic resolution." if proposed else "",
                owner if proposed else None,
                owner if proposed else None,
                values["proposed_at"],
                created,
                values["acknowledged_at"],
                values["proposed_at"],
                values["confirmed_at"],
                values["closed_at"],
                values["withdrawn_at"],
                at,
            ),
        )
        for action, before, after, actor, by_customer, when in steps:
            data = {"channel": "phone", "severity": severity, "category": category} if action == "create" else {}
            events.add(next_event, (pk, action, before, after, actor, by_customer, data, when))
            next_event += 1
        links.add(next_link, (pk, ticket_id))
        next_link += 1
        run.link(pk, Complaint, "c", created)
    run.result.counts["complaints"] = complaints.total
    run.result.counts["complaint_events"] = events.total
    run.writer.put(complaints, events, links, run.links)
