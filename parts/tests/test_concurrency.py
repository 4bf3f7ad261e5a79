"""Twenty technicians issuing the last unit at once, on real PostgreSQL: exactly one wins."""

from __future__ import annotations

import pytest

from aftersales.core.tests.concurrency import kinds, run_together
from parts.models import StockBalance, StockMovement, Warehouse
from parts.services import stock_move, stock_transfer_receive, stock_transfer_send

from . import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_concurrent_issues_of_the_last_unit_have_one_winner(make_user):
    supervisor = make_user("supervisor")
    part = factories.part()
    central = factories.warehouse(supervisor, code="central")
    stock_move(actor=supervisor, warehouse=central, part=part, kind="receipt", quantity=1, reason="PO")
    issuers = [make_user("supervisor") for _ in range(20)]

    def issue(user, number):
        return lambda: stock_move(
            actor=user,
            warehouse=Warehouse.objects.get(pk=central.pk),
            part=part,
            kind="issue",
            quantity=1,
            reason="repair",
            ticket_reference=f"T-{number}",
        )

    outcomes = run_together(*(issue(user, number) for number, user in enumerate(issuers)))

    assert kinds(outcomes) == {"ok": 1, "OutOfStock": 19}
    assert StockBalance.objects.get(part=part, warehouse=central).on_hand == 0
    assert StockMovement.objects.filter(kind="issue").count() == 1


def test_crossing_transfers_do_not_deadlock(make_user):
    supervisor = make_user("supervisor")
    part = factories.part()
    first = factories.warehouse(supervisor, code="a")
    second = factories.warehouse(supervisor, code="b")
    for warehouse in (first, second):
        stock_move(actor=supervisor, warehouse=warehouse, part=part, kind="receipt", quantity=10, reason="PO")

    def round_trip(source, destination):
        def job():
            transfer = stock_transfer_send(
                actor=supervisor, source=source, destination=destination, part=part, quantity=1, reason="x"
            )
            return stock_transfer_receive(actor=supervisor, transfer=transfer)

        return job

    outcomes = run_together(*(round_trip(first, second) if n % 2 else round_trip(second, first) for n in range(10)))

    assert kinds(outcomes) == {"ok": 10}
    totals = [StockBalance.objects.get(part=part, warehouse=w).on_hand for w in (first, second)]
    assert sum(totals) == 20
