"""Counting stops at API_COUNT_LIMIT: a million rows cost an index range scan, not a full count."""

import pytest
from rest_framework.test import APIClient

from aftersales.core.models import Customer

pytestmark = pytest.mark.django_db


def listing(user, query: str = "") -> dict:
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"/api/v1/customers/{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_count_is_exact_below_the_limit_and_capped_above_it(make_user, settings):
    agent = make_user("agent")
    Customer.objects.bulk_create(Customer(name=f"客户{index}", phone=f"1380000{index:04d}") for index in range(5))

    settings.API_COUNT_LIMIT = 10
    body = listing(agent)
    assert (body["count"], body["count_exact"], len(body["results"])) == (5, True, 5)

    settings.API_COUNT_LIMIT = 3
    body = listing(agent)
    assert (body["count"], body["count_exact"], len(body["results"])) == (
        3,
        False,
        4,
    )  # "3 or more"; rows served up to the limit + 1


def test_the_schema_documents_count_exact(make_user):
    client = APIClient()
    schema = client.get("/api/schema/?format=json").json()
    page = schema["components"]["schemas"]["PaginatedCustomerList"]
    assert "count_exact" in page["properties"] and "count_exact" in page["required"]


def test_deeper_pages_keep_the_order_and_lose_no_row(make_user, monkeypatch):
    from aftersales.core.api.pagination import BoundedCountPagination

    agent = make_user("agent")
    Customer.objects.bulk_create(Customer(name=f"客户{index:02d}", phone=f"1380000{index:04d}") for index in range(7))
    monkeypatch.setattr(BoundedCountPagination, "page_size", 3)
    everyone = [row["name"] for page in (1, 2, 3) for row in listing(agent, f"?page={page}")["results"]]
    assert everyone == sorted(everyone) and len(everyone) == 7  # name order, no row twice or lost
