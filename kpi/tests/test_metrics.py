"""Every metric against the hand-built October of ``dataset.py`` (answers worked out there, by hand)."""

from datetime import date

import pytest

from kpi.periods import Period, month_period
from kpi.registry import METRICS
from kpi.selectors import kpi_summary, metric_records

from .dataset import october

pytestmark = pytest.mark.django_db
OCTOBER, NOVEMBER = month_period(2026, 10), month_period(2026, 11)


@pytest.fixture
def data(make_user, business_calendar):
    return october(make_user, business_calendar)


def summary(period=OCTOBER, **filters):
    return {entry["key"]: entry for entry in kpi_summary(period=period, filters=filters)}


def test_first_response_in_business_hours_across_a_holiday_and_a_make_up_day(data):
    figure = summary()["avg_first_response_hours"]

    # A 1.5 (created on the holiday: counted from Monday 09:00), B 2 (Friday hour + Saturday make-up
    # hour), C 0.5, D 0.5 (created 23:30 on the 31st: October, local time).
    assert figure["count"] == 4
    assert figure["value"] == pytest.approx((1.5 + 2 + 0.5 + 0.5) / 4)
    assert figure["median"] == pytest.approx((0.5 + 1.5) / 2)
    assert figure["p90"] == pytest.approx(1.5 + 0.7 * (2 - 1.5))  # percentile_cont over 0.5, 0.5, 1.5, 2
    assert figure["target"] == 2 and figure["met"] is True
    assert summary()["response_on_time_rate"]["value"] == pytest.approx(75)


def test_the_period_is_cut_at_local_midnight_not_utc(data):
    # E was created at 00:10 on 1 Nov in Shanghai (16:10 UTC on 31 Oct): it belongs to November.
    november = summary(NOVEMBER)["avg_first_response_hours"]
    assert november["count"] == 1
    assert november["value"] == pytest.approx(10 / 60, abs=1e-4)  # 09:00–09:10 on Monday
    numbers = set(metric_records(METRICS["avg_first_response_hours"], OCTOBER, {}).values_list("number", flat=True))
    assert numbers == {data.tickets[name].number for name in "ABCD"}


def test_pauses_and_reopening_in_time_to_resolve(data):
    figures = summary()
    # C only: cycle 1 8 h − 4 h awaiting parts, cycle 2 2 h; the night between is not counted.
    assert figures["mean_time_to_resolve_hours"]["count"] == 1
    assert figures["mean_time_to_resolve_hours"]["value"] == pytest.approx(6)
    assert figures["resolution_on_time_rate"]["value"] == 100
    # Resolved C against A and B overdue and open at the month's end.
    assert figures["resolution_rate"]["count"] == 3
    assert figures["resolution_rate"]["value"] == pytest.approx(100 / 3, abs=1e-3)
    # C was reopened: not fixed the first time, a repeat repair of its unit.
    assert (figures["first_time_fix_rate"]["value"], figures["first_time_fix_rate"]["count"]) == (0, 1)
    assert (figures["repeat_repair_rate"]["value"], figures["repeat_repair_rate"]["met"]) == (100, False)
    assert figures["return_visit_rate"]["value"] == 100


def test_breaches_are_counted_when_they_happened(data):
    figure = summary()["sla_breaches"]

    assert (figure["value"], figure["count"], figure["met"]) == (3, 3, False)
    records = metric_records(METRICS["sla_breaches"], OCTOBER, {})
    assert sorted(records.values_list("number", "name")) == sorted(
        [
            (data.tickets["A"].number, "resolution"),
            (data.tickets["B"].number, "first_response"),
            (data.tickets["B"].number, "resolution"),
        ]
    )


def test_satisfaction(data):
    figures = summary()

    assert figures["csat_avg"]["value"] == pytest.approx((2 + 5 + 4) / 3, abs=1e-4)
    assert figures["csat_avg"]["count"] == 3
    assert (figures["csi_percent"]["value"], figures["csi_percent"]["count"]) == (50, 2)


def test_complaint_closure_counts_the_final_close_and_skips_duplicates(data):
    figure = summary()["complaint_closure_hours"]

    assert figure["count"] == 2
    assert figure["value"] == pytest.approx((30 + 24) / 2)
    assert data.complaints["K3"].status == "linked"
    # Two complaints (the duplicate is not one) over the five tickets of October (A–D).
    assert summary()["complaint_rate"]["value"] == pytest.approx(2 / 4 * 100)


def test_drills_are_excluded_from_emergency_response(data):
    figure = summary()["emergency_response_hours"]

    assert (figure["value"], figure["count"]) == (0.5, 1)


def test_an_empty_period_is_no_data_never_zero(data):
    # May 2026: before any ticket, complaint, survey, incident or unit sold (C's unit: 1 June).
    figures = summary(Period(date(2026, 5, 1), date(2026, 5, 31)))

    for entry in figures.values():
        assert entry["value"] is None and entry["count"] == 0 and entry["met"] is None, entry
    # September: a unit is in service and none failed — that is a real 0, not "no data".
    september = summary(Period(date(2026, 9, 1), date(2026, 9, 30)))
    assert (september["failures_per_100_units"]["value"], september["failures_per_100_units"]["count"]) == (0, 0)
    assert september["sla_breaches"]["value"] is None  # no ticket clock ran in September


def test_filters_and_not_applicable(data):
    tier = summary(tier="key_account")
    assert tier["avg_first_response_hours"]["value"] is None  # every customer here is standard
    by_technician = summary(technician=data.staff["technician"].username)
    assert by_technician["mean_time_to_resolve_hours"]["value"] == pytest.approx(6)
    assert by_technician["complaint_closure_hours"]["applicable"] is False
    assert by_technician["complaint_closure_hours"]["value"] is None


def test_group_by_region_adds_up(data):
    entries = {e["key"]: e for e in kpi_summary(period=OCTOBER, filters={}, group_by="tier")}

    groups = entries["avg_first_response_hours"]["groups"]
    assert [(g["group"], g["count"]) for g in groups] == [("standard", 4)]
    assert groups[0]["value"] == pytest.approx(entries["avg_first_response_hours"]["value"])


# One query for the targets, one per metric, two for each ratio (numerator and denominator).
SUMMARY_QUERIES = 1 + len(METRICS) + sum(1 for metric in METRICS.values() if metric.aggregation == "ratio")


# Grouped: each groupable metric adds its grouped query (a ratio groups both sides instead).
GROUPED_QUERIES = SUMMARY_QUERIES + sum(
    1 for metric in METRICS.values() if metric.aggregation != "ratio" and metric.applicable({"region": ""})
)


def test_the_summary_costs_a_fixed_number_of_queries(data, django_assert_num_queries):
    may = Period(date(2026, 5, 1), date(2026, 5, 31))
    for period in (OCTOBER, may):
        with django_assert_num_queries(SUMMARY_QUERIES):
            kpi_summary(period=period, filters={})
        with django_assert_num_queries(GROUPED_QUERIES):
            kpi_summary(period=period, filters={}, group_by="region")


def test_the_api_costs_a_fixed_number_of_queries(data, api_client, django_assert_num_queries, django_user_model):
    def manager():  # a fresh user object each time: no permission cache carried between requests
        return django_user_model.objects.get(pk=data.staff["manager"].pk)

    api_client.force_authenticate(manager())
    # Permission check: the user's and the groups' permissions (2), then the figures.
    with django_assert_num_queries(2 + SUMMARY_QUERIES):
        assert api_client.get("/api/v1/kpi/summary/?from=2026-10-01&to=2026-10-31").status_code == 200
    for key in ("avg_first_response_hours", "sla_breaches", "csi_percent", "complaint_closure_hours"):
        api_client.force_authenticate(manager())
        # Permissions (2), the page's count and its rows.
        with django_assert_num_queries(4):
            response = api_client.get(f"/api/v1/kpi/metrics/{key}/records/?from=2026-10-01&to=2026-10-31")
        body = response.json()
        assert response.status_code == 200 and body["count"] == len(body["results"]) > 0, body


def test_records_add_up_to_the_figure(data, api_as):
    client = api_as("supervisor")
    figures = summary()
    for key, figure in figures.items():
        response = client.get(f"/api/v1/kpi/metrics/{key}/records/?from=2026-10-01&to=2026-10-31&page_size=500")
        assert response.status_code == 200, (key, response.content)
        results = response.json()["results"]
        assert len(results) == figure["count"], key
        if figure["value"] is not None and METRICS[key].aggregation == "mean":
            assert sum(row["value"] for row in results) / len(results) == pytest.approx(figure["value"], abs=1e-3)
