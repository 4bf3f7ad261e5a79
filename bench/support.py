"""Shared by the benchmarks: the benchmark database, running the measuring scripts, machine details,
tables, and appending results to docs/benchmarks.md.

The measuring scripts (``bench/scripts/*.py``) run as separate processes against the benchmark
database (``BENCH_DATABASE``, default ``aftersales_bench``), so they never touch pytest-django's
test database and ``make bench`` can run them next to ``bench_unit_import.py``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
CHAPTER = "## Synthetic history, SLA sweep, APIs and outbox"
TICKETS = int(os.environ.get("BENCH_TICKETS", "1000000"))
SEED = int(os.environ.get("BENCH_SEED", "1"))
DATABASE = os.environ.get("BENCH_DATABASE", "aftersales_bench")
SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
# Its own Redis database, so queued Celery kicks and cache keys stay away from other runs.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
# Record figures in docs/benchmarks.md only for full-size runs unless asked (BENCH_RECORD=1/0).
RECORD = os.environ.get("BENCH_RECORD", "1" if TICKETS >= 1_000_000 else "0") == "1"


def bench_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"{SERVER}/{DATABASE}",
        REDIS_URL=REDIS_URL,
        DJANGO_SETTINGS_MODULE="bench.settings",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def run(args: list[str], *, timeout: float = 3600, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=ROOT, env=bench_env(**extra), capture_output=True, text=True, timeout=timeout, check=True
    )


def run_script(name: str, *args: str, timeout: float = 3600, **extra: str) -> dict:
    """Run ``bench/scripts/<name>.py``; it prints one JSON object as its last line."""
    try:
        done = run([sys.executable, "-m", f"bench.scripts.{name}", *args], timeout=timeout, **extra)
    except subprocess.CalledProcessError as error:
        raise AssertionError(f"bench script {name} failed:\n{error.stdout[-3000:]}\n{error.stderr[-5000:]}") from error
    return json.loads(done.stdout.strip().splitlines()[-1])


def _psql(sql: str, database: str = "postgres") -> str:
    return subprocess.run(
        ["psql", f"{SERVER}/{database}", "-Atqc", sql], capture_output=True, text=True, check=True
    ).stdout.strip()


def ticket_count() -> int | None:
    if _psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'") != "1":  # noqa: S608 - our env var
        return None
    try:
        return int(_psql("SELECT count(*) FROM tickets_ticket", DATABASE))
    except subprocess.CalledProcessError:
        return None


def build_database() -> dict:
    """A fresh benchmark database with ``TICKETS`` synthetic tickets (``BENCH_REUSE=1`` keeps one of that size)."""
    # ">=": the public API benchmark adds requests to the database it reuses.
    if os.environ.get("BENCH_REUSE") == "1" and (ticket_count() or 0) >= TICKETS:
        info_file = ROOT / "var" / f"{DATABASE}.json"
        if info_file.exists():
            return {**json.loads(info_file.read_text()), "reused": True}
    _psql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    _psql(f'CREATE DATABASE "{DATABASE}"')
    run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"])
    began = time.perf_counter()
    done = run([sys.executable, "manage.py", "synth_data", "--tickets", str(TICKETS), "--seed", str(SEED)])
    seconds = time.perf_counter() - began
    info = {
        "tickets": TICKETS,
        "seed": SEED,
        "seconds": seconds,
        "output": done.stdout.strip().splitlines(),
        "size": _psql(f"SELECT pg_size_pretty(pg_database_size('{DATABASE}'))"),
        "reused": False,
    }
    (ROOT / "var").mkdir(exist_ok=True)
    (ROOT / "var" / f"{DATABASE}.json").write_text(json.dumps(info))
    return info


def machine() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    import django

    load = os.getloadavg()
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": f"{memory_kb / 1024 / 1024:.0f} GiB",
        "postgres": _psql("SHOW server_version"),
        "python": platform.python_version(),
        "django": django.get_version(),
        "load": f"{load[0]:.1f} / {load[1]:.1f} (1 / 5 min, at the end)",
    }


def table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def record(title: str, body: str, *, capsys=None) -> None:
    """Print the section, and append it with the machine details to docs/benchmarks.md (if RECORD)."""
    details = machine()
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    section = (
        f"\n### {title} — {stamp}, {TICKETS:,} synthetic tickets\n\n{body.strip()}\n\n"
        f"Machine: {details['cpu']}, {details['cores']} cores, {details['ram']} RAM, PostgreSQL "
        f"{details['postgres']} on the same host, Python {details['python']}, Django {details['django']}; "
        f"load average {details['load']} (the machine was shared with other test runs).\n"
    )
    if capsys is not None:
        with capsys.disabled():
            print(section)
    else:
        print(section)
    if RECORD:
        # At the end of this chapter (other chapters, e.g. the chaos run's, may follow it).
        text = DOCS.read_text(encoding="utf-8")
        chapter = text.find(CHAPTER)
        following = text.find("\n## ", chapter + len(CHAPTER)) if chapter >= 0 else -1
        if following < 0:
            text = text.rstrip("\n") + "\n" + section
        else:
            text = text[:following].rstrip("\n") + "\n" + section + text[following:]
        DOCS.write_text(text, encoding="utf-8")
