"""Human-readable numbers: per prefix and local day, unique and gap-free under concurrency."""

import threading

import pytest
from django.db import connections

from aftersales.core.numbering import number_next
from conftest import shanghai


@pytest.mark.django_db
def test_numbers_count_per_prefix_and_local_day():
    assert number_next(prefix="T", at=shanghai(2026, 11, 24, 9)) == "T2026112400001"
    assert number_next(prefix="T", at=shanghai(2026, 11, 24, 23, 59)) == "T2026112400002"
    assert number_next(prefix="C", at=shanghai(2026, 11, 24, 10)) == "C2026112400001"
    # 00:30 in Shanghai is still the previous day in UTC: the local day counts.
    assert number_next(prefix="T", at=shanghai(2026, 11, 25, 0, 30)) == "T2026112500001"


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_get_distinct_consecutive_numbers():
    numbers, errors = [], []
    barrier = threading.Barrier(6)

    def take():
        try:
            barrier.wait()
            for _ in range(20):
                numbers.append(number_next(prefix="T", at=shanghai(2026, 11, 24, 12)))
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(numbers) == [f"T20261124{n:05d}" for n in range(1, 121)]
