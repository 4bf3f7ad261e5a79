"""Hypothesis state machine: whatever sequence of services runs, every balance equals the sum of its
movements, nothing goes negative, and reserved stock never exceeds what is on hand."""

from __future__ import annotations

import contextlib

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from parts.models import StockBalance, StockMovement, Transfer, TransferStatus
from parts.services import stock_move, stock_reserve, stock_transfer_receive, stock_transfer_send

from . import factories

pytestmark = pytest.mark.django_db

QUANTITY = st.integers(min_value=1, max_value=6)


class Stock(RuleBasedStateMachine):
    user_model = None

    @initialize()
    def setup(self):
        assert self.user_model is not None
        count = self.user_model.objects.count()
        self.actor = self.user_model.objects.create_user(username=f"machine-{count}", is_staff=True)
        self.actor.groups.add(Group.objects.get(name="supervisor"))
        self.part = factories.part()
        self.warehouses = [factories.warehouse(self.actor) for _ in range(2)]

    def _try(self, call, **kwargs):
        # Refused moves (out of stock, nothing reserved) must leave no trace; the invariant checks.
        with contextlib.suppress(ValidationError):
            call(actor=self.actor, part=self.part, **kwargs)

    @rule(index=st.integers(0, 1), kind=st.sampled_from(["receipt", "issue", "return", "scrap"]), quantity=QUANTITY)
    def move(self, index, kind, quantity):
        self._try(
            stock_move, warehouse=self.warehouses[index], kind=kind, quantity=quantity, reason="r", ticket_reference="T"
        )

    @rule(index=st.integers(0, 1), quantity=st.integers(-6, 6).filter(bool))
    def adjust(self, index, quantity):
        self._try(stock_move, warehouse=self.warehouses[index], kind="adjustment", quantity=quantity, reason="count")

    @rule(index=st.integers(0, 1), quantity=st.integers(-6, 6).filter(bool))
    def reserve(self, index, quantity):
        self._try(stock_reserve, warehouse=self.warehouses[index], quantity=quantity)

    @rule(index=st.integers(0, 1), quantity=QUANTITY)
    def send(self, index, quantity):
        self._try(
            stock_transfer_send,
            source=self.warehouses[index],
            destination=self.warehouses[1 - index],
            quantity=quantity,
            reason="t",
        )

    def _in_transit(self):
        return Transfer.objects.filter(part=self.part, status=TransferStatus.IN_TRANSIT)

    @precondition(lambda self: hasattr(self, "part") and self._in_transit().exists())
    @rule()
    def receive(self):
        stock_transfer_receive(actor=self.actor, transfer=self._in_transit().first())

    @invariant()
    def balances_are_the_sum_of_movements(self):
        if not hasattr(self, "part"):
            return
        for warehouse in self.warehouses:
            balance = StockBalance.objects.filter(part=self.part, warehouse=warehouse).first()
            total = StockMovement.objects.filter(part=self.part, warehouse=warehouse).aggregate(s=Sum("quantity"))["s"]
            on_hand = balance.on_hand if balance else 0
            assert on_hand == (total or 0)
            if balance:
                assert 0 <= balance.reserved <= balance.on_hand


def test_balances_always_equal_the_sum_of_movements(django_user_model):
    Stock.user_model = django_user_model
    run_state_machine_as_test(
        Stock,
        settings=settings(
            max_examples=25, stateful_step_count=20, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
