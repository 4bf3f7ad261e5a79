"""Low-stock alerts: one outbox message to the stock manager each time available falls below the
reorder point of a part in a warehouse, none while it stays below, re-armed when it is back."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from aftersales.core.models import OutboxMessage
from aftersales.core.outbox.rendering import render_message
from aftersales.core.tests.concurrency import kinds, run_together
from parts.models import StockBalance, Warehouse, WarehouseTier
from parts.services import reservation_create, stock_move, stock_reorder_point_set

from . import factories


def alerts() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(template="parts_low_stock", channel="in_app").order_by("pk"))


@pytest.fixture
def stock(make_user):
    """5 units in the central warehouse, reorder point 3; one stock manager (the manager role)."""
    manager = make_user("manager")
    supervisor = make_user("supervisor")
    central = factories.warehouse(supervisor, tier=WarehouseTier.CENTRAL, code="central")
    part = factories.part(sku="LOW-1")
    stock_move(actor=supervisor, warehouse=central, part=part, kind="receipt", quantity=5, reason="PO")
    stock_reorder_point_set(actor=manager, warehouse=central, part=part, reorder_point=3)
    return manager, supervisor, central, part


def issue(actor, warehouse, part, quantity=1):
    return stock_move(
        actor=actor,
        warehouse=warehouse,
        part=part,
        kind="issue",
        quantity=quantity,
        reason="repair",
        ticket_reference="T",
    )


@pytest.mark.django_db
def test_one_alert_per_crossing(stock):
    manager, supervisor, central, part = stock
    issue(supervisor, central, part, 2)  # 3 available: at the point, not below
    assert alerts() == []

    issue(supervisor, central, part)  # 2 < 3: crossed
    (alert,) = alerts()
    assert alert.recipient_user_id == manager.pk
    assert alert.context | {} == {
        "sku": "LOW-1",
        "name": part.name,
        "warehouse": "central",
        "available": 2,
        "reorder_point": 3,
    }

    issue(supervisor, central, part)  # still below: nothing new
    assert len(alerts()) == 1

    stock_move(actor=supervisor, warehouse=central, part=part, kind="receipt", quantity=5, reason="PO 2")
    assert StockBalance.objects.get(part=part, warehouse=central).low_since is None  # back: re-armed
    issue(supervisor, central, part, 4)  # 2 < 3 again: the second crossing
    assert [message.key for message in alerts()] == [
        f"parts:low_stock:{alert.key.split(':')[2]}:1:u{manager.pk}:in_app",
        f"parts:low_stock:{alert.key.split(':')[2]}:2:u{manager.pk}:in_app",
    ]


@pytest.mark.django_db
def test_a_reservation_counts_against_available(stock):
    _manager, supervisor, central, part = stock
    reservation_create(actor=supervisor, warehouse=central, part=part, quantity=3, ticket_reference="T-1")
    assert len(alerts()) == 1
    assert StockBalance.objects.get(part=part, warehouse=central).on_hand == 5


@pytest.mark.django_db
def test_setting_a_point_above_available_alerts_at_once(stock):
    manager, _supervisor, central, part = stock
    stock_reorder_point_set(actor=manager, warehouse=central, part=part, reorder_point=10)
    assert len(alerts()) == 1
    stock_reorder_point_set(actor=manager, warehouse=central, part=part, reorder_point=0)  # no alerts at all
    assert StockBalance.objects.get(part=part, warehouse=central).low_since is None


@pytest.mark.django_db
def test_with_nobody_in_the_role_the_administrators_hear(make_user):
    supervisor = make_user("supervisor")
    admin = make_user(superuser=True)
    central = factories.warehouse(supervisor, tier=WarehouseTier.CENTRAL, code="central")
    part = factories.part()
    stock_reorder_point_set(actor=supervisor, warehouse=central, part=part, reorder_point=1)
    assert [message.recipient_user_id for message in alerts()] == [admin.pk]


@pytest.mark.django_db
def test_the_reorder_point_api(stock, make_user):
    manager, _supervisor, _central, _part = stock
    client = APIClient()
    client.force_authenticate(manager)
    response = client.post(
        "/api/v1/stock/reorder-point/", {"warehouse": "central", "part": "LOW-1", "reorder_point": 6}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["reorder_point"], response.json()["low"]) == (6, True)
    assert len(alerts()) == 1
    assert client.get("/api/v1/stock/?low=true").json()["count"] == 1

    technician = APIClient()
    technician.force_authenticate(make_user("technician"))
    refused = technician.post(
        "/api/v1/stock/reorder-point/", {"warehouse": "central", "part": "LOW-1", "reorder_point": 1}, format="json"
    )
    assert refused.status_code == 403
    bad = client.post(
        "/api/v1/stock/reorder-point/", {"warehouse": "central", "part": "LOW-1", "reorder_point": -1}, format="json"
    )
    assert bad.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_across_the_point_alert_once(make_user):
    make_user("manager")
    supervisor = make_user("supervisor")
    central = factories.warehouse(supervisor, tier=WarehouseTier.CENTRAL, code="central")
    part = factories.part()
    stock_move(actor=supervisor, warehouse=central, part=part, kind="receipt", quantity=10, reason="PO")
    stock_reorder_point_set(actor=supervisor, warehouse=central, part=part, reorder_point=5)

    def job():
        return issue(supervisor, Warehouse.objects.get(pk=central.pk), part)

    outcomes = run_together(*(job for _ in range(10)))

    assert kinds(outcomes) == {"ok": 10}
    assert StockBalance.objects.get(part=part, warehouse=central).on_hand == 0
    assert len(alerts()) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "words"), [("en", "below the reorder point of 3"), ("zh-hans", "低于再订货点 3")])
def test_the_alert_reads_in_both_languages(stock, language, words):
    _manager, supervisor, central, part = stock
    issue(supervisor, central, part, 3)
    (alert,) = alerts()
    alert.language = language
    rendered = render_message(alert)
    assert "LOW-1" in rendered.subject
    assert words in rendered.body
