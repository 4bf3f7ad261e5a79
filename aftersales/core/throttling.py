"""A rate limit per client address for public HTML pages, with a friendly 429 page.

``@rate_limited_page(scope=..., rate_setting=...)`` counts every request to the view (GET, POST,
downloads) with the REST API's own throttle machinery — the same client address behind proxies
(``NUM_PROXIES``), the same cache — so a page and its JSON twin limit alike. It is a decorator on
the view, so it goes wherever the view goes. Over the limit, the page says when to try again
(``Retry-After`` too) instead of showing an error.
"""

from __future__ import annotations

import functools
import math

from django.conf import settings
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from rest_framework.throttling import SimpleRateThrottle

TOO_MANY_REQUESTS_TEMPLATE = "core/too_many_requests.html"


class PageRateThrottle(SimpleRateThrottle):
    """DRF's sliding-window throttle for a plain Django view, keyed by scope and client address."""

    def __init__(self, *, scope: str, rate: str):  # no super(): the rate is given, not looked up
        self.scope, self.rate = scope, rate
        self.num_requests, self.duration = self.parse_rate(rate)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def rate_limited_page(*, scope: str, rate_setting: str, template: str = TOO_MANY_REQUESTS_TEMPLATE):
    """Limit a view to the rate in ``settings.<rate_setting>`` (read on each request) per client address."""

    def decorate(view):
        @functools.wraps(view)
        def limited(request, *args, **kwargs):
            throttle = PageRateThrottle(scope=scope, rate=getattr(settings, rate_setting))
            if throttle.allow_request(request, None):
                return view(request, *args, **kwargs)
            wait = max(1, math.ceil(throttle.wait() or 1))
            response = render(request, template, {"retry_after_seconds": wait}, status=429)
            response["Retry-After"] = str(wait)
            response["X-Robots-Tag"] = "noindex, nofollow"
            add_never_cache_headers(response)
            return response

        return limited

    return decorate
