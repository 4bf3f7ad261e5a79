"""Staff and public REST API under concurrent load: gunicorn on loopback against the benchmark database.

gunicorn runs ``aftersales.wsgi`` with ``bench.settings`` (the test settings: DEBUG off, real
PostgreSQL and Redis; rate limits lifted), ``BENCH_WORKERS`` sync workers (default 4, as
docs/operations.md starts a web host), and ``bench/loadgen.py`` drives it from this process with
``BENCH_CLIENTS`` keep-alive clients (default 8) for ``BENCH_SECONDS`` per scenario (default 20).
Staff requests authenticate with a token from ``POST /api/v1/auth/token/``.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import time

import pytest

from bench import support
from bench.loadgen import HEADERS, run_load

pytestmark = pytest.mark.bench

WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
LIST_P95_TARGET_MS = 200
HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def api(bench_database):
    setup = support.run_script("api_setup", str(support.SEED))
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "aftersales.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(WORKERS),
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=support.ROOT,
        env=support.bench_env(),
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection(HOST, port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not become healthy"
            time.sleep(0.5)
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        body = json.dumps({"username": setup["username"], "password": setup["password"]})
        connection.request("POST", "/api/v1/auth/token/", body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 200, response.read()
        setup["token"] = json.loads(response.read())["token"]
        setup["port"] = port
        yield setup
    finally:
        server.terminate()
        server.wait(timeout=30)


def _load(name, api, make_request, *, staff: bool):
    headers = {"Accept": "application/json"}
    if staff:
        headers["Authorization"] = f"Token {api['token']}"
    return run_load(
        name,
        host=HOST,
        port=api["port"],
        make_request=make_request,
        headers=headers,
        concurrency=CLIENTS,
        seconds=SECONDS,
    )


def _setup_note() -> str:
    return (
        f"gunicorn {WORKERS} sync workers (`bench.settings`: DEBUG off, rate limits lifted), "
        f"{CLIENTS} closed-loop keep-alive clients from `bench/loadgen.py` in the same 2-core machine, "
        f"{SECONDS:.0f} s per scenario after a 2 s warm-up, token authentication."
    )


def test_staff_api(api, capsys):
    numbers = api["numbers"]
    statuses = ["open", "new", "dispatched", "closed", "awaiting_parts"]
    priorities = ["high", "normal", "critical"]
    scenarios = [
        ("List, page 1", lambda i: ("GET", "/api/v1/tickets/", None)),
        (
            "List, filters (status × priority)",
            lambda i: (
                "GET",
                f"/api/v1/tickets/?status={statuses[i % len(statuses)]}&priority={priorities[i % 3]}",
                None,
            ),
        ),
        ("List, pages 2–100", lambda i: ("GET", f"/api/v1/tickets/?page={2 + i % 99}", None)),
        ("Detail", lambda i: ("GET", f"/api/v1/tickets/{numbers[i % len(numbers)]}/", None)),
    ]
    results = [_load(name, api, make, staff=True) for name, make in scenarios]
    queries = api["queries"]
    plans = "\n\n".join(f"-- {sql}…\n{plan}" for sql, plan in api["plans"].items())
    body = (
        "`bench/bench_api.py` (staff): "
        + _setup_note()
        + "\n\n"
        + support.table(HEADERS, [r.row() for r in results])
        + "\n\nSQL queries per request (first request warmed): "
        + ", ".join(f"{name} {count}" for name, count in queries.items())
        + ".\n\nPlans of the list's ticket queries (page 1, no filter):\n\n```\n"
        + plans
        + "\n```\n"
    )
    support.record("Staff API", body, capsys=capsys)
    for result in results:
        assert sum(count for status, count in result.statuses.items() if status >= 500) == 0, result.statuses
    assert queries["list"] == queries["list_page_2"] == queries["list_deep_page"]
    list_p95 = results[0].percentile(95)
    assert list_p95 <= LIST_P95_TARGET_MS or support.TICKETS < 1_000_000 or os.environ.get("BENCH_NO_TARGETS"), (
        f"list p95 {list_p95:.0f} ms > {LIST_P95_TARGET_MS} ms"
    )


def test_public_api(api, capsys):
    tokens, serials = api["tokens"], api["serials"]
    types = ["repair", "installation", "consultation"]

    def create(i):
        body = {
            "type": types[i % 3],
            "name": f"压测客户{i}",
            "phone": f"1380000{i % 10000:04d}",
            "description": "空调不制冷，室外机有异响。",
        }
        if body["type"] != "consultation":
            body["serial"] = serials[i % len(serials)]
        return "POST", "/api/v1/public/requests/", body

    scenarios = [
        ("Request creation", create),
        ("Tracking page", lambda i: ("GET", f"/api/v1/public/track/{tokens[i % len(tokens)]}/", None)),
    ]
    results = [_load(name, api, make, staff=False) for name, make in scenarios]
    body = (
        "`bench/bench_api.py` (public, no login): "
        + _setup_note()
        + " Request creation registers the ticket, starts its SLA clocks and queues the customer's SMS"
        " (and email) in the outbox, as the portal does.\n\n"
        + support.table(HEADERS, [r.row() for r in results])
        + f"\n\nSQL queries of one tracking page: {api['queries']['track']}.\n"
    )
    support.record("Public API", body, capsys=capsys)
    for result in results:
        assert sum(count for status, count in result.statuses.items() if status >= 500) == 0, result.statuses
