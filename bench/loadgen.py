"""A small closed-loop HTTP load generator: N threads, each with its own keep-alive connection.

Written for the benchmarks instead of adding locust/wrk: on a 2-core machine the generator competes
with the server for CPU, and a few threads of ``http.client`` cost far less than a locust swarm.
Each thread sends its next request as soon as the previous answer is read (closed loop), so the
figures are "what N busy clients get", not an open-loop arrival rate.
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

Request = tuple[str, str, dict | None]  # method, path, JSON body


@dataclass
class LoadResult:
    name: str
    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return len(self.latencies)

    def percentile(self, percent: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))] * 1000

    @property
    def rps(self) -> float:
        return self.count / self.seconds

    def row(self) -> list[str]:
        errors = sum(count for status, count in self.statuses.items() if status >= 400)
        return [
            self.name,
            str(self.concurrency),
            f"{self.count:,}",
            f"{self.rps:,.1f}",
            f"{statistics.median(self.latencies) * 1000:.0f}",
            f"{self.percentile(95):.0f}",
            f"{self.percentile(99):.0f}",
            str(errors),
        ]


HEADERS = ["Scenario", "Clients", "Requests", "Requests/s", "p50 ms", "p95 ms", "p99 ms", "Errors"]


def run_load(
    name: str,
    *,
    host: str,
    port: int,
    make_request: Callable[[int], Request],
    headers: dict[str, str],
    concurrency: int,
    seconds: float,
    warmup: float = 2.0,
) -> LoadResult:
    result = LoadResult(name=name, concurrency=concurrency, seconds=seconds)
    lock = threading.Lock()
    started = time.perf_counter()
    measure_from = started + warmup
    stop_at = measure_from + seconds

    def client(number: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=60)
        sequence = number
        while (now := time.perf_counter()) < stop_at:
            method, path, body = make_request(sequence)
            sequence += concurrency
            payload = json.dumps(body).encode() if body is not None else None
            request_headers = dict(headers)
            if payload is not None:
                request_headers["Content-Type"] = "application/json"
            began = time.perf_counter()
            try:
                connection.request(method, path, body=payload, headers=request_headers)
                response = connection.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException):
                connection.close()
                status = 599
            elapsed = time.perf_counter() - began
            if began >= measure_from:
                with lock:
                    result.latencies.append(elapsed)
                    result.statuses[status] += 1
            del now
        connection.close()

    threads = [threading.Thread(target=client, args=(number,)) for number in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result
