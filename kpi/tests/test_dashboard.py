"""``/kpi/``: who may open it, what it shows, a fixed number of queries, the records and the exports."""

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from .dataset import october

pytestmark = pytest.mark.django_db
OCTOBER = "from=2026-10-01&to=2026-10-31"


@pytest.fixture
def data(make_user, business_calendar):
    return october(make_user, business_calendar)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_goes_to_the_login_and_others_are_refused(client, make_user):
    response = client.get("/kpi/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client_for(make_user("agent")).get("/kpi/").status_code == 403
    assert client_for(make_user("technician")).get(f"/kpi/metrics/csat_avg/?{OCTOBER}").status_code == 403


def test_the_dashboard_shows_cards_against_target_with_links_to_records(data):
    response = client_for(data.staff["manager"]).get(f"/kpi/?{OCTOBER}&group_by=tier", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    page = response.content.decode()
    cards = {card["key"]: card for card in response.context["cards"]}
    assert cards["sla_breaches"]["value"] == 3 and cards["sla_breaches"]["met"] is False
    assert cards["mean_time_to_resolve_hours"]["value"] == 6 and cards["mean_time_to_resolve_hours"]["met"] is True
    assert cards["csat_avg"]["previous"] is None and cards["csat_avg"]["change"] is None  # September: no data
    assert 'class="card missed" data-key="sla_breaches"' in page
    assert 'class="card met" data-key="mean_time_to_resolve_hours"' in page
    assert f'href="/kpi/metrics/sla_breaches/?{OCTOBER.replace("&", "&amp;")}"' in page
    assert 'id="kpi-trend-data" type="application/json"' in page
    assert "<script>" not in page  # no inline script: the CSP stays strict
    assert response.context["groups"] == ["standard"]


def test_a_supervisor_reads_the_dashboard_in_chinese(data):
    response = client_for(data.staff["supervisor"]).get(f"/kpi/?{OCTOBER}", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 200
    assert "首次响应" in response.content.decode()


def test_bad_dates_are_a_400_page(data):
    response = client_for(data.staff["manager"]).get("/kpi/?from=2026-10-31&to=2026-10-01")
    assert response.status_code == 400


def test_the_dashboard_costs_a_fixed_number_of_queries(data, django_assert_max_num_queries, make_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    manager = data.staff["manager"]
    with CaptureQueriesContext(connection) as october_queries:
        assert client_for(manager).get(f"/kpi/?{OCTOBER}").status_code == 200
    with CaptureQueriesContext(connection) as empty_queries:
        assert client_for(manager).get("/kpi/?from=2025-01-01&to=2025-01-31").status_code == 200
    assert len(october_queries) == len(empty_queries)
    with django_assert_max_num_queries(len(october_queries)):
        client_for(manager).get(f"/kpi/?{OCTOBER}&region=east")


def test_records_page_lists_what_is_behind_a_figure(data):
    response = client_for(data.staff["manager"]).get(f"/kpi/metrics/avg_first_response_hours/?{OCTOBER}")

    assert response.status_code == 200
    page = response.content.decode()
    for name in "ABCD":
        assert data.tickets[name].number in page
    assert data.tickets["E"].number not in page


def test_records_export_csv_and_xlsx_with_formula_and_filters_in_the_header(data):
    client = client_for(data.staff["manager"])

    response = client.get(f"/kpi/metrics/sla_breaches/export.csv?{OCTOBER}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][1] == "sla_breaches" and rows[1][1].startswith("breach events")
    header = rows.index(["number", "clock", "cycle", "due_at", "record_at", "record_value", "pk"])
    assert len(rows) - header - 1 == 3

    response = client.get(f"/kpi/metrics/csat_avg/export.xlsx?{OCTOBER}&tier=standard")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    values = list(book["data"].iter_rows(values_only=True))
    assert values[3][1] == "tier=standard"
    assert sorted(row[2] for row in values[5:]) == [2, 4, 5]


def test_dashboard_table_export(data):
    response = client_for(data.staff["manager"]).get(
        f"/kpi/export.csv?{OCTOBER}&group_by=tier", HTTP_ACCEPT_LANGUAGE="en"
    )

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    breaches = [row for row in rows if row[:1] == ["sla_breaches"] and len(row) == 8]
    assert breaches == [
        ["sla_breaches", "SLA breaches", "", "3.0", "count", "0.0", "False", "3"],
        ["sla_breaches", "SLA breaches", "standard", "3.0", "count", "0.0", "False", "3"],
    ]
    assert client_for(data.staff["manager"]).get(f"/kpi/export.pdf?{OCTOBER}").status_code == 404
