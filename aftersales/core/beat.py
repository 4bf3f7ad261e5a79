"""Exactly one beat: a leader lease in Redis that only one ``celery beat`` holds at a time.

Beat only *sends* the periodic tasks (the sweep, outbox delivery); correctness never depends on it
being unique — overlapping sweeps record each warning and breach once — but two beats would double
the work, and operators make mistakes. So every beat renews a lease at each tick and sends tasks
only while it holds it. A second beat started anywhere waits as a hot standby and takes over within
``BEAT_LEASE_SECONDS`` when the leader dies or loses Redis. Without Redis (``make run``'s
file-system broker, one machine) there is nothing to share and the lease is not used.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid

import redis
from celery.beat import PersistentScheduler
from django.conf import settings

logger = logging.getLogger(__name__)

LEASE_KEY = "aftersales:beat:leader"
# Renew (or try to take) the lease at least this often; it lasts BEAT_LEASE_SECONDS.
CHECK_EVERY_SECONDS = 5.0

# Extend the lease only if it is still ours: one atomic step in Redis.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class LeaderLease:
    """A lease in Redis: ``hold()`` keeps it (or takes it if free) and says whether it is ours."""

    def __init__(self, url: str, *, seconds: float, key: str = LEASE_KEY, owner: str | None = None):
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.key = key
        self.seconds = seconds
        self.milliseconds = int(seconds * 1000)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.held: bool | None = None  # unknown until the first attempt, so that one is logged either way

    def hold(self) -> bool:
        try:
            renewed = self.client.eval(_RENEW, 1, self.key, self.owner, self.milliseconds)
            held = bool(renewed) or bool(self.client.set(self.key, self.owner, nx=True, px=self.milliseconds))
        except redis.RedisError as error:
            # Without Redis no task can be sent anyway; whoever reaches it first afterwards leads.
            logger.warning("beat: cannot reach Redis for the leader lease (%s); standing by", error)
            held = False
        if held != self.held:
            if held:
                logger.info("beat: took the leader lease (%s); sending periodic tasks", self.owner)
            else:
                logger.warning("beat: another beat holds the leader lease; standing by")
        self.held = held
        return held

    def release(self) -> None:
        with contextlib.suppress(redis.RedisError):  # if Redis is gone the lease expires by itself
            self.client.eval(_RELEASE, 1, self.key, self.owner)
        self.held = False


class LeaderScheduler(PersistentScheduler):
    """Celery's file-backed scheduler, ticking only while this beat holds the leader lease."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        url = getattr(settings, "REDIS_URL", "")
        seconds = float(getattr(settings, "BEAT_LEASE_SECONDS", 30))
        self.lease = LeaderLease(url, seconds=seconds) if url else None

    def tick(self, *args, **kwargs):
        if self.lease is None:
            return super().tick(*args, **kwargs)
        # Renew well within the lease: a lease shorter than the check interval would lapse between
        # renewals and let a standby take over from a live leader.
        check_every = min(CHECK_EVERY_SECONDS, self.lease.seconds / 3)
        if not self.lease.hold():
            return check_every  # a standby sends nothing
        return min(super().tick(*args, **kwargs), check_every)

    def close(self):
        if self.lease is not None:
            self.lease.release()  # a clean stop hands over at once, not after the lease runs out
        super().close()
