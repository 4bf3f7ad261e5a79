"""Run jobs at the same moment on their own database connections, for tests of row-lock contention.

Each job runs in a thread with its own connection; a barrier releases them together so the locks
really contend. A deadlock PostgreSQL did not break shows up as a stuck thread, not a pass.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from django.db import connection

THREAD_TIMEOUT = 60  # a deadlock that PostgreSQL did not break would hang here, not pass


def run_together(*jobs: Callable[[], object]) -> list[tuple[str, object]]:
    """Start every job at the same moment; ("ok", result) or ("error", exception) for each."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[tuple[str, object] | None] = [None] * len(jobs)

    def work(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=THREAD_TIMEOUT)
            outcomes[index] = ("ok", job())
        except Exception as error:  # the test inspects every outcome
            outcomes[index] = ("error", error)
        finally:
            connection.close()  # this thread's connection

    threads = [threading.Thread(target=work, args=(index, job)) for index, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a worker is stuck (deadlock?)"
    return outcomes  # type: ignore[return-value]


def kinds(outcomes) -> Counter:
    return Counter(type(value).__name__ if kind == "error" else "ok" for kind, value in outcomes)
