"""The tracking links' hashes move into ``core.TrackingLink`` and every link customers hold keeps working."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from aftersales.core.trackables import trackable_find
from aftersales.core.tracking import tracking_token_new

BEFORE = [("tickets", "0006_quote_query_name"), ("complaints", "0004_append_only_events")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_each_stored_hash_becomes_a_link_to_its_case_and_migrating_back_restores_it():
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = migrate(BEFORE)
    customer = old.get_model("core", "Customer").objects.create(name="钱伟", phone="+8613700001111")
    token, token_hash = tracking_token_new()
    ticket = old.get_model("tickets", "Ticket").objects.create(
        number="T2026010100001",
        ticket_type="repair",
        customer=customer,
        description="旧工单",
        tracking_token_hash=token_hash,
        created_at="2026-01-01T09:00:00+08:00",
    )
    try:
        migrate(leaves)
        tracked = trackable_find(token)
        assert tracked is not None and (tracked.kind, tracked.subject.pk) == ("ticket", ticket.pk)

        restored = migrate(BEFORE)
        assert restored.get_model("tickets", "Ticket").objects.get(pk=ticket.pk).tracking_token_hash == token_hash
    finally:
        migrate(leaves)
