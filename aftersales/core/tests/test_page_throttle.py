"""The HTML tracking page is rate-limited per client address, like the JSON tracking API (#18 item 9).

Guessing tokens through ``/track/<token>/`` must be slow; a customer who hits the limit gets a
friendly page saying when to try again, not an error.
"""

from __future__ import annotations

import itertools
import uuid

import pytest
import time_machine

from aftersales.core.tracking import tracking_token_new

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


def fresh_address() -> str:
    """An address of its own per test: the counts live in the shared Redis cache."""
    return f"172.{uuid.uuid4().int % 250}.{next(_numbers) % 250}.{uuid.uuid4().int % 250 + 1}"


@pytest.fixture
def limit(settings):
    settings.TRACK_PAGE_RATE_LIMIT = "3/minute"
    return settings


def guess(client, address: str, path: str = "/track/{token}/"):
    return client.get(path.format(token=tracking_token_new()[0]), REMOTE_ADDR=address)


def test_guessing_tracking_links_is_limited_per_address(client, limit):
    address = fresh_address()
    with time_machine.travel("2026-11-24 10:00 +0800", tick=False) as traveller:
        assert [guess(client, address).status_code for _ in range(3)] == [404, 404, 404]
        refused = guess(client, address)
        assert refused.status_code == 429
        assert refused["Content-Type"].startswith("text/html")
        assert 0 < int(refused["Retry-After"]) <= 60
        assert "no-store" in refused["Cache-Control"]
        page = refused.content.decode()
        assert "Too many requests" in page or "请求过于频繁" in page
        # Another customer is not affected; and after the window the first may go on.
        assert guess(client, fresh_address()).status_code == 404
        traveller.shift(61)
        assert guess(client, address).status_code == 404


def test_the_attachment_links_and_form_posts_count_too(client, limit):
    address = fresh_address()
    with time_machine.travel("2026-11-24 10:00 +0800", tick=False):
        guess(client, address, "/track/{token}/files/1/")
        client.post(f"/track/{tracking_token_new()[0]}/", {"form": "message"}, REMOTE_ADDR=address)
        guess(client, address)
        assert guess(client, address, "/track/{token}/files/1/").status_code == 429


def test_a_real_customer_link_is_limited_the_same_way(client, limit, make_user):
    from django.utils import timezone

    from tickets.tests import factories

    created = factories.ticket_create(
        customer=factories.customer(),
        ticket_type="repair",
        priority="normal",
        description="不制冷",
        actor=make_user("agent"),
        now=timezone.now(),
    )
    address = fresh_address()
    path = f"/track/{created.tracking_token}/"
    statuses = [client.get(path, REMOTE_ADDR=address).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
