"""Benchmarks, run by ``make bench`` (``pytest -m bench bench``) and never by ``make test``.

They live in ``bench_*.py`` files, which pytest.ini's ``python_files = test_*.py`` would not collect.
"""

import pytest


def pytest_collect_file(file_path, parent):
    # A file named on the command line is collected by pytest itself already: not twice.
    if file_path.suffix == ".py" and file_path.name.startswith("bench_") and not parent.session.isinitpath(file_path):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


@pytest.fixture(scope="session")
def bench_database():
    """The benchmark database with ``BENCH_TICKETS`` synthetic tickets, built once per run (support.py)."""
    from bench import support

    return support.build_database()
