"""The satisfaction survey sent on resolution: its row, its 7-day reply clock (CSAT) and the answers."""

from __future__ import annotations

from datetime import datetime

from tickets.choices import ClockName
from tickets.models import Survey
from tickets.sla import CSAT_REPLY_WINDOW

from .bulk import Table
from .clocks import ClockRows, SimClock
from .reference import Reference

SURVEY_ANSWER_RATE = 0.4
ANSWERED_SCORES = (1, 2, 3, 4, 5)
SCORE_WEIGHTS = (3, 4, 10, 33, 50)
CSAT_THRESHOLDS = (50, 75, 90)


class SyntheticSurvey:
    """One survey: sent at resolution; answered (score and time) or not."""

    __slots__ = ("answered_at", "clock", "score", "sent_at")

    def __init__(self, clock: SimClock, sent_at: datetime) -> None:
        self.clock, self.sent_at = clock, sent_at
        self.score: int | None = None
        self.answered_at: datetime | None = None

    def answer(self, score: int, at: datetime) -> None:
        self.score, self.answered_at = score, at
        self.clock.stop(at)


def survey_send(clocks: ClockRows, reference: Reference, at: datetime) -> SyntheticSurvey:
    """The survey of a resolution and its reply clock, on the 7×24 calendar as ``tickets.sla`` starts it."""
    always = reference.always_calendar_id
    clock = clocks.start(
        ClockName.CSAT_REPLY,
        int(CSAT_REPLY_WINDOW.total_seconds()),
        at,
        always,
        reference.specs[always],
        CSAT_THRESHOLDS,
    )
    return SyntheticSurvey(clock, at)


class SurveyRows:
    def __init__(self, *, now: datetime, first_survey: int) -> None:
        self.table = Table(Survey, ["ticket_id", "cycle", "sent_at", "score", "answered_at"], now)
        self.next_survey = first_survey

    def write(self, ticket_id: int, survey: SyntheticSurvey) -> None:
        self.table.add(self.next_survey, (ticket_id, 1, survey.sent_at, survey.score, survey.answered_at))
        self.next_survey += 1
