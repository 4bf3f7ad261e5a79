"""Before the API load test: a login for the load, samples to request, queries per request, plans.

Prints JSON: the bench user's credentials, ticket numbers, tracking tokens and serials to request,
the number of SQL queries each endpoint makes (page 1 and a deep page, so a growing count shows),
and ``EXPLAIN ANALYZE`` of the staff list's queries.
"""

import json
import random
import sys

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from aftersales.core.models import ApiToken  # noqa: E402
from aftersales.core.roles import SUPERVISOR  # noqa: E402
from devdata.synth import tracking_token_for  # noqa: E402
from tickets.models import Ticket  # noqa: E402
from warranty.models import RegisteredUnit  # noqa: E402

USERNAME = "bench_supervisor"
PASSWORD = "bench-load-password"  # noqa: S105 - a throwaway login in the benchmark database only
SEED = int(sys.argv[1]) if len(sys.argv) > 1 else 1
LIST_URLS = {
    "list": "/api/v1/tickets/",
    "list_filtered": "/api/v1/tickets/?status=open&priority=high",
    "list_deep_page": "/api/v1/tickets/?page=200",
}


def main() -> None:
    user, _ = get_user_model().objects.get_or_create(username=USERNAME, defaults={"is_staff": True})
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name=SUPERVISOR))
    rng = random.Random(3)
    last = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first()
    first = Ticket.objects.order_by("pk").values_list("pk", flat=True).first()
    sample_ids = [rng.randint(first, last) for _ in range(2000)]
    numbers = list(Ticket.objects.filter(pk__in=sample_ids).values_list("number", flat=True))
    # Tracking pages of the customers' open and recent requests (what customers look at).
    synthetic = Ticket.objects.filter(description="Synthetic request.")
    recent = list(synthetic.order_by("-pk").values_list("pk", flat=True)[:5000])
    tokens = [tracking_token_for(SEED, pk) for pk in rng.sample(recent, min(2000, len(recent)))]
    serials = list(RegisteredUnit.objects.order_by("?").values_list("serial", flat=True)[:500])

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    queries = {}
    urls = {**LIST_URLS, "detail": f"/api/v1/tickets/{numbers[0]}/", "track": f"/api/v1/public/track/{tokens[0]}/"}
    for name, url in {**urls, "list_page_2": "/api/v1/tickets/?page=2"}.items():
        client.get(url)  # warm caches (content types, calendars)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        queries[name] = len(captured.captured_queries)
        if name == "list":
            list_sql = [item["sql"] for item in captured.captured_queries]
    plans = {}
    with connection.cursor() as cursor:
        for sql in list_sql:
            if "tickets_ticket" in sql and ("COUNT(" in sql or "ORDER BY" in sql):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)
                plans[sql[:160]] = "\n".join(row[0] for row in cursor.fetchall())
    ApiToken.objects.filter(user=user).delete()  # the load logs in afresh (POST /api/v1/auth/token/)
    print(
        json.dumps(
            {
                "username": USERNAME,
                "password": PASSWORD,
                "numbers": numbers,
                "tokens": tokens,
                "serials": serials,
                "queries": queries,
                "plans": plans,
            }
        )
    )


if __name__ == "__main__":
    main()
