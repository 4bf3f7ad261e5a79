"""Settings of the benchmark runs: the test settings (DEBUG off, real PostgreSQL and Redis, logs at
WARNING) with the public and login rate limits lifted, since one loopback client sends everything.

The test settings fix the rates in code (``PUBLIC_RATE_LIMIT`` is not read there), hence this module.
"""

from aftersales.settings.test import *  # noqa: F403
from aftersales.settings.test import REST_FRAMEWORK

REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {"public": "10000000/minute", "auth": "10000000/minute"}
