"""Exactly one beat sends the periodic tasks: the leader lease in real Redis, and two real beats."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings

from aftersales.core.beat import LeaderLease

BEAT_TIMEOUT = 60


def test_one_lease_holder_at_a_time_and_a_standby_takes_over_when_it_lapses(isolated_redis_url):
    leader = LeaderLease(isolated_redis_url, seconds=1, owner="a")
    standby = LeaderLease(isolated_redis_url, seconds=1, owner="b")

    assert leader.hold() and not standby.hold()
    assert leader.hold(), "the holder renews"
    time.sleep(1.3)  # the leader died without releasing
    assert standby.hold() and not leader.hold()
    standby.release()
    assert leader.hold(), "a clean stop hands over at once"


def test_a_lease_lost_with_redis_is_taken_again(isolated_redis_url):
    lease = LeaderLease(isolated_redis_url, seconds=30, owner="a")
    assert lease.hold()
    redis.Redis.from_url(isolated_redis_url).delete(lease.key)  # e.g. Redis restarted without persistence
    assert lease.hold()
    unreachable = LeaderLease("redis://127.0.0.1:1/0", seconds=30)
    assert not unreachable.hold()  # no Redis: stand by, never crash


def test_the_leader_renews_well_within_a_short_lease(celery_broker, settings, tmp_path):
    from aftersales.celery import app
    from aftersales.core.beat import LeaderScheduler

    settings.REDIS_URL, settings.BEAT_LEASE_SECONDS = celery_broker, 3
    scheduler = LeaderScheduler(app=app, schedule_filename=str(tmp_path / "schedule"))
    scheduler.lease.key = f"aftersales-tests:beat-leader:{uuid.uuid4().hex}"  # not another test's lease
    try:
        assert scheduler.tick() <= 1.0  # a third of the lease: it never lapses between renewals
        assert scheduler.lease.held
    finally:
        scheduler.close()


def _beat(redis_url: str, tmp_path: Path, name: str) -> tuple[subprocess.Popen, Path]:
    log_path = tmp_path / f"{name}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "aftersales.settings.test",
        "REDIS_URL": redis_url,
        "BEAT_LEASE_SECONDS": "3",
    }
    command = [
        str(Path(settings.BASE_DIR) / ".venv" / "bin" / "celery"),
        "-A",
        "aftersales",
        "beat",
        "--loglevel",
        "INFO",
        "--schedule",
        str(tmp_path / f"{name}-schedule"),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return process, log_path


def _wait_for(log_path: Path, text: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + BEAT_TIMEOUT
    while time.monotonic() < deadline:
        if text in log_path.read_text(errors="replace"):
            return
        assert process.poll() is None, log_path.read_text(errors="replace")[-3000:]
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not in {log_path.name}:\n{log_path.read_text(errors='replace')[-3000:]}")


def _stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


@pytest.mark.integration
def test_a_second_beat_stands_by_and_takes_over_when_the_first_is_killed(isolated_redis_url, tmp_path):
    first, first_log = _beat(isolated_redis_url, tmp_path, "first")
    second = None
    try:
        _wait_for(first_log, "took the leader lease", first)
        second, second_log = _beat(isolated_redis_url, tmp_path, "second")
        _wait_for(second_log, "another beat holds the leader lease", second)
        assert "took the leader lease" not in second_log.read_text(errors="replace")

        _stop(first, signal.SIGKILL)  # no clean release: the standby waits for the lease to lapse
        _wait_for(second_log, "took the leader lease", second)
    finally:
        _stop(first)
        if second is not None:
            _stop(second)
