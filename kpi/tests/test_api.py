"""The KPI API: the CONTRACT's shape, who may read it, bad input, fixed query counts."""

import pytest

from kpi.registry import ORDER

pytestmark = pytest.mark.django_db

CONTRACT_KEYS = {
    "avg_first_response_hours",
    "response_on_time_rate",
    "resolution_on_time_rate",
    "resolution_rate",
    "first_time_fix_rate",
    "csat_avg",
    "csi_percent",
    "complaint_closure_hours",
    "sla_breaches",
}


def test_summary_has_the_contract_keys_and_an_empty_period_is_no_data(api_as):
    response = api_as("manager").get("/api/v1/kpi/summary/?from=2026-01-01&to=2026-01-31")

    assert response.status_code == 200, response.content
    metrics = response.json()["metrics"]
    assert [metric["key"] for metric in metrics] == ORDER
    assert {metric["key"] for metric in metrics} >= CONTRACT_KEYS
    for metric in metrics:
        assert {"key", "label", "value", "unit", "target", "met", "count"} <= set(metric)
        assert metric["value"] is None and metric["count"] == 0 and metric["met"] is None, metric


@pytest.mark.parametrize(("role", "status"), [("manager", 200), ("supervisor", 200), ("agent", 403), (None, 403)])
def test_only_managers_and_supervisors_read_kpis(api_as, role, status):
    response = api_as(role).get("/api/v1/kpi/summary/?from=2026-01-01&to=2026-01-31")

    assert response.status_code == status
    if status == 403:
        assert response.json()["code"] == "permission_denied"


def test_anonymous_is_refused(api_client):
    assert api_client.get("/api/v1/kpi/summary/").status_code in (401, 403)


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-13-01",
        "from=yesterday",
        "from=2026-02-01&to=2026-01-01",
        "from=2000-01-01&to=2026-01-01",
        "group_by=planet",
        "interval=hour",
    ],
)
def test_bad_dates_and_choices_are_a_400_with_detail_and_code(api_as, query):
    client = api_as("manager")
    for url in (
        "/api/v1/kpi/summary/",
        "/api/v1/kpi/metrics/csat_avg/series/",
        "/api/v1/kpi/metrics/csat_avg/records/",
    ):
        response = client.get(f"{url}?{query}")
        if response.status_code == 200:  # a parameter this endpoint does not read
            continue
        assert response.status_code == 400, (url, query, response.content)
        body = response.json()
        assert body["detail"] and body["code"], body


def test_an_unknown_metric_is_a_404(api_as):
    response = api_as("manager").get("/api/v1/kpi/metrics/happiness/records/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_series_has_one_point_per_month(api_as):
    response = api_as("manager").get(
        "/api/v1/kpi/metrics/csat_avg/series/?from=2026-01-15&to=2026-03-10&interval=month"
    )

    assert response.status_code == 200, response.content
    points = response.json()["points"]
    assert [(p["from"], p["to"]) for p in points] == [
        ("2026-01-15", "2026-01-31"),
        ("2026-02-01", "2026-02-28"),
        ("2026-03-01", "2026-03-10"),
    ]
    assert all(p["value"] is None and p["count"] == 0 for p in points)


def test_group_by_gives_groups_per_metric(api_as):
    response = api_as("manager").get("/api/v1/kpi/summary/?from=2026-01-01&to=2026-01-31&group_by=region")

    assert response.status_code == 200
    assert all(metric["groups"] == [] for metric in response.json()["metrics"])
