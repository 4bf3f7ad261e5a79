"""Writes to stock. Every change appends a ``StockMovement`` and updates its ``StockBalance`` in one
transaction, under row locks.

Lock order (one for every service, so two writers never wait on each other in a cycle): balance rows
are locked with ``SELECT … FOR UPDATE`` sorted by ``(warehouse_id, part_id)``; a transfer or
reservation row is locked after the balances it touches. A caller that also holds a case (a ticket's
repair flow) locks the case first, as the case kit does, then calls these.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from aftersales.core import clock
from aftersales.core.notifications import ADMINISTRATORS, notify_staff, users_in_role

from .models import (
    MovementKind,
    Part,
    Reservation,
    ReservationStatus,
    StockBalance,
    StockMovement,
    Transfer,
    TransferStatus,
    Warehouse,
)
from .permissions import (
    ADD_PART,
    ADD_WAREHOUSE,
    CHANGE_PART,
    CHANGE_WAREHOUSE,
    MOVE,
    MOVE_ANY,
    SET_REORDER_POINT,
    STOCK_MANAGER,
)
from .selectors import part_availability


class OutOfStock(ValidationError):
    """Not enough available stock for the movement."""


def can_create_part(user) -> bool:
    return user is not None and user.is_active and user.has_perm(ADD_PART)


def part_create(
    *,
    actor,
    sku: str,
    name: str,
    product_model,
    component=None,
    serial_tracked: bool = False,
    price: Decimal = Decimal("0.00"),
    is_active: bool = True,
) -> Part:
    """A new catalogue entry (the stock manager keeps the catalogue)."""
    if not can_create_part(actor):
        raise PermissionDenied(_("You may not add parts to the catalogue."))
    if component is not None and component.product_model_id != product_model.pk:
        raise ValidationError(
            {"component": [_("The component belongs to another model.")]}, code="component_of_other_model"
        )
    if price < 0:
        raise ValidationError({"price": [_("The price must not be negative.")]}, code="bad_price")
    if Part.objects.filter(sku=sku).exists():
        raise ValidationError({"sku": [_("A part with this number exists.")]}, code="unique")
    return Part.objects.create(
        sku=sku,
        name=name,
        product_model=product_model,
        component=component,
        serial_tracked=serial_tracked,
        price=price,
        is_active=is_active,
    )


# What a catalogue entry may change after it is made: the number and model name it for good.
PART_CHANGEABLE = ("name", "component", "serial_tracked", "price", "is_active")


def part_update(*, actor, part: Part, data: dict) -> Part:
    """Change the catalogue fields in ``data`` (a subset of ``PART_CHANGEABLE``)."""
    if actor is None or not actor.is_active or not actor.has_perm(CHANGE_PART):
        raise PermissionDenied(_("You may not change the parts catalogue."))
    unknown = set(data) - set(PART_CHANGEABLE)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    component = data.get("component", part.component)
    if component is not None and component.product_model_id != part.product_model_id:
        raise ValidationError(
            {"component": [_("The component belongs to another model.")]}, code="component_of_other_model"
        )
    if data.get("price", 0) < 0:
        raise ValidationError({"price": [_("The price must not be negative.")]}, code="bad_price")
    with transaction.atomic():
        locked = Part.objects.select_for_update().get(pk=part.pk)
        for name, value in data.items():
            setattr(locked, name, value)
        if data:
            locked.save(update_fields=list(data))
        return locked


WAREHOUSE_FIELDS = ("code", "name", "tier", "owner", "region")


def warehouse_create(*, actor, code: str, name: str, tier: str, owner, region=None) -> Warehouse:
    """A new warehouse (central, regional store, or a van / station with its technician as owner)."""
    if actor is None or not actor.is_active or not actor.has_perm(ADD_WAREHOUSE):
        raise PermissionDenied(_("You may not add warehouses."))
    if Warehouse.objects.filter(code=code).exists():
        raise ValidationError({"code": [_("A warehouse with this code exists.")]}, code="unique")
    return Warehouse.objects.create(code=code, name=name, tier=tier, owner=owner, region=region)


def warehouse_update(*, actor, warehouse: Warehouse, data: dict) -> Warehouse:
    """Rename, re-region or hand over a warehouse (a new owner of a van moves its stock from then on)."""
    if actor is None or not actor.is_active or not actor.has_perm(CHANGE_WAREHOUSE):
        raise PermissionDenied(_("You may not change warehouses."))
    unknown = set(data) - {"name", "owner", "region"}
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        locked = Warehouse.objects.select_for_update().get(pk=warehouse.pk)
        for name, value in data.items():
            setattr(locked, name, value)
        if data:
            locked.save(update_fields=list(data))
        return locked


def can_move_stock(user, warehouse: Warehouse) -> bool:
    if user is None or not user.is_active or not user.has_perm(MOVE):
        return False
    return warehouse.owner_id == user.pk or user.has_perm(MOVE_ANY)


def _check_may_move(user, warehouse: Warehouse) -> None:
    if not can_move_stock(user, warehouse):
        raise PermissionDenied(_("You may not move stock in warehouse %(code)s.") % {"code": warehouse.code})


def _lock_balances(pairs: Iterable[tuple[Warehouse, Part]]) -> dict[tuple[int, int], StockBalance]:
    """Create missing balance rows, then lock all of them in the one lock order."""
    keys = sorted({(warehouse.pk, part.pk) for warehouse, part in pairs})
    for warehouse_id, part_id in keys:
        StockBalance.objects.get_or_create(warehouse_id=warehouse_id, part_id=part_id)
    locked: dict[tuple[int, int], StockBalance] = {}
    for warehouse_id, part_id in keys:
        locked[(warehouse_id, part_id)] = StockBalance.objects.select_for_update().get(
            warehouse_id=warehouse_id, part_id=part_id
        )
    return locked


def _save_balance(balance: StockBalance, fields: list[str]) -> None:
    """Save a locked balance row; tell the stock manager once when available falls below the reorder
    point (and re-arm when it is back), in the same transaction as the change that crossed it.

    The row lock makes the crossing one event however many writers race: exactly one of them sees
    ``low_since`` empty. The outbox key numbers the crossings, so a retried transaction sends nothing twice.
    """
    low = balance.reorder_point > 0 and balance.available < balance.reorder_point
    crossed = low and balance.low_since is None
    if crossed:
        balance.low_since = clock.now()
        balance.low_stock_alerts += 1
        fields = [*fields, "low_since", "low_stock_alerts"]
    elif not low and balance.low_since is not None:
        balance.low_since = None
        fields = [*fields, "low_since"]
    balance.save(update_fields=fields)
    if crossed:
        _alert_low_stock(balance)


def _alert_low_stock(balance: StockBalance) -> None:
    # The stock manager role; with nobody in it, the administrators (an alert always reaches someone).
    users = users_in_role(STOCK_MANAGER) or users_in_role(ADMINISTRATORS)
    part, warehouse = balance.part, balance.warehouse
    notify_staff(
        users=users,
        key=f"parts:low_stock:{balance.pk}:{balance.low_stock_alerts}",
        template="parts_low_stock",
        context={
            "sku": part.sku,
            "name": part.name,
            "warehouse": warehouse.code,
            "available": balance.available,
            "reorder_point": balance.reorder_point,
        },
    )


def stock_reorder_point_set(*, actor, warehouse: Warehouse, part: Part, reorder_point: int) -> StockBalance:
    """Set the reorder point of a part in a warehouse (0: no alert); alerts at once if already below."""
    if actor is None or not actor.is_active or not actor.has_perm(SET_REORDER_POINT):
        raise PermissionDenied(_("You may not set reorder points."))
    if reorder_point < 0:
        raise ValidationError(_("The reorder point must not be negative."), code="bad_quantity")
    with transaction.atomic():
        balance = _lock_balances([(warehouse, part)])[(warehouse.pk, part.pk)]
        balance.reorder_point = reorder_point
        _save_balance(balance, ["reorder_point"])
        return balance


def _apply(
    balance: StockBalance,
    *,
    kind: str,
    quantity: int,
    actor,
    reason: str,
    ticket_reference: str,
    transfer: Transfer | None = None,
) -> StockMovement:
    if quantity < 0 and balance.on_hand - balance.reserved + quantity < 0:
        raise OutOfStock(_("Not enough stock available."), code="out_of_stock")
    balance.on_hand += quantity
    _save_balance(balance, ["on_hand"])
    return StockMovement.objects.create(
        part_id=balance.part_id,
        warehouse_id=balance.warehouse_id,
        kind=kind,
        quantity=quantity,
        actor=actor,
        reason=reason,
        ticket_reference=ticket_reference,
        transfer=transfer,
    )


# Which way each single-warehouse movement moves stock; adjustments carry their own sign.
_SIGN = {MovementKind.RECEIPT: 1, MovementKind.RETURN: 1, MovementKind.ISSUE: -1, MovementKind.SCRAP: -1}


def stock_move(
    *,
    actor,
    warehouse: Warehouse,
    part: Part,
    kind: str,
    quantity: int,
    reason: str,
    ticket_reference: str = "",
) -> StockMovement:
    """Receipt, issue, return or scrap of ``quantity`` (> 0) units, or a signed count adjustment."""
    _check_may_move(actor, warehouse)
    if not reason.strip():
        raise ValidationError(_("Say why the stock moves."), code="reason_required")
    if kind == MovementKind.ADJUSTMENT:
        signed = quantity
    elif kind in _SIGN:
        if quantity <= 0:
            raise ValidationError(_("The quantity must be positive."), code="bad_quantity")
        signed = _SIGN[MovementKind(kind)] * quantity
    else:
        raise ValidationError(_("Transfers go through stock_transfer_send."), code="bad_kind")
    if signed == 0:
        raise ValidationError(_("The quantity must not be zero."), code="bad_quantity")
    if kind == MovementKind.ISSUE and not ticket_reference:
        raise ValidationError(_("An issue names the ticket or incident it serves."), code="reference_required")
    with transaction.atomic():
        balance = _lock_balances([(warehouse, part)])[(warehouse.pk, part.pk)]
        return _apply(
            balance, kind=kind, quantity=signed, actor=actor, reason=reason, ticket_reference=ticket_reference
        )


def stock_reserve(*, actor, warehouse: Warehouse, part: Part, quantity: int) -> StockBalance:
    """Hold ``quantity`` units (> 0) for a job; release with a negative ``quantity``."""
    _check_may_move(actor, warehouse)
    if quantity == 0:
        raise ValidationError(_("The quantity must not be zero."), code="bad_quantity")
    with transaction.atomic():
        balance = _lock_balances([(warehouse, part)])[(warehouse.pk, part.pk)]
        if quantity > balance.available:
            raise OutOfStock(_("Not enough stock available."), code="out_of_stock")
        if balance.reserved + quantity < 0:
            raise ValidationError(_("Cannot release more than is reserved."), code="bad_quantity")
        balance.reserved += quantity
        _save_balance(balance, ["reserved"])
        return balance


def stock_transfer_send(
    *, actor, source: Warehouse, destination: Warehouse, part: Part, quantity: int, reason: str
) -> Transfer:
    """Take stock out of ``source``; it is in transit until ``stock_transfer_receive``."""
    _check_may_move(actor, source)
    if quantity <= 0:
        raise ValidationError(_("The quantity must be positive."), code="bad_quantity")
    if source.pk == destination.pk:
        raise ValidationError(_("A transfer goes between two warehouses."), code="same_warehouse")
    with transaction.atomic():
        balance = _lock_balances([(source, part)])[(source.pk, part.pk)]
        transfer = Transfer.objects.create(
            part=part, source=source, destination=destination, quantity=quantity, status=TransferStatus.IN_TRANSIT
        )
        _apply(
            balance,
            kind=MovementKind.TRANSFER_OUT,
            quantity=-quantity,
            actor=actor,
            reason=reason,
            ticket_reference="",
            transfer=transfer,
        )
        return transfer


def stock_transfer_receive(*, actor, transfer: Transfer) -> Transfer:
    """Book an in-transit transfer into its destination, once."""
    _check_may_move(actor, transfer.destination)
    with transaction.atomic():
        balance = _lock_balances([(transfer.destination, transfer.part)])[(transfer.destination_id, transfer.part_id)]
        locked = Transfer.objects.select_for_update().get(pk=transfer.pk)
        if locked.status != TransferStatus.IN_TRANSIT:
            raise ValidationError(_("This transfer was already received."), code="already_received")
        _apply(
            balance,
            kind=MovementKind.TRANSFER_IN,
            quantity=locked.quantity,
            actor=actor,
            reason=_("transfer received"),
            ticket_reference="",
            transfer=locked,
        )
        locked.status = TransferStatus.RECEIVED
        locked.save(update_fields=["status"])
        return locked


# --- reservations (the repair plan holds units; the issue is made against them) ---------------


def reservation_create(*, actor, warehouse: Warehouse, part: Part, quantity: int, ticket_reference: str) -> Reservation:
    """Hold ``quantity`` units in ``warehouse`` for the ticket or incident; OutOfStock if not available."""
    _check_may_move(actor, warehouse)
    if quantity <= 0:
        raise ValidationError(_("The quantity must be positive."), code="bad_quantity")
    if not ticket_reference.strip():
        raise ValidationError(_("A reservation names the ticket or incident it serves."), code="reference_required")
    with transaction.atomic():
        balance = _lock_balances([(warehouse, part)])[(warehouse.pk, part.pk)]
        if quantity > balance.available:
            raise OutOfStock(_("Not enough stock available."), code="out_of_stock")
        balance.reserved += quantity
        _save_balance(balance, ["reserved"])
        return Reservation.objects.create(
            part=part, warehouse=warehouse, quantity=quantity, ticket_reference=ticket_reference, created_by=actor
        )


def reservation_plan(*, actor, part: Part, quantity: int, ticket_reference: str, near=None) -> Reservation:
    """Reserve at the nearest warehouse that has ``quantity`` available and where ``actor`` may move
    stock: nearest to ``near`` (the technician who will do the repair; the actor by default) —
    their van, their region's store, other stores, the central warehouse. OutOfStock if none has."""
    for row in part_availability(user=near or actor, part=part):
        if row.available >= quantity and can_move_stock(actor, row.warehouse):
            try:
                return reservation_create(
                    actor=actor,
                    warehouse=row.warehouse,
                    part=part,
                    quantity=quantity,
                    ticket_reference=ticket_reference,
                )
            except OutOfStock:
                continue  # taken meanwhile: the next one
    raise OutOfStock(_("No warehouse has enough stock available; propose a transfer."), code="out_of_stock")


def _lock_reservation(reservation: Reservation) -> tuple[StockBalance, Reservation]:
    balance = _lock_balances([(reservation.warehouse, reservation.part)])[
        (reservation.warehouse_id, reservation.part_id)
    ]
    locked = Reservation.objects.select_for_update().get(pk=reservation.pk)
    if locked.status != ReservationStatus.OPEN:
        raise ValidationError(_("This reservation is closed."), code="reservation_closed")
    return balance, locked


def _close_if_done(reservation: Reservation) -> None:
    if reservation.outstanding == 0:
        reservation.status = ReservationStatus.CLOSED


def reservation_issue(
    *, actor, reservation: Reservation, quantity: int | None = None, reason: str = ""
) -> StockMovement:
    """Issue ``quantity`` (all outstanding by default) of the reserved units to the job: the issue
    movement names the reservation's ticket, and the units stop being reserved."""
    _check_may_move(actor, reservation.warehouse)
    with transaction.atomic():
        balance, locked = _lock_reservation(reservation)
        quantity = locked.outstanding if quantity is None else quantity
        if quantity <= 0 or quantity > locked.outstanding:
            raise ValidationError(
                _("Issue between 1 and %(n)d units of this reservation.") % {"n": locked.outstanding},
                code="bad_quantity",
            )
        balance.reserved -= quantity
        _save_balance(balance, ["reserved"])
        movement = _apply(
            balance,
            kind=MovementKind.ISSUE,
            quantity=-quantity,
            actor=actor,
            reason=reason or _("issued against the reservation"),
            ticket_reference=locked.ticket_reference,
        )
        locked.issued += quantity
        _close_if_done(locked)
        locked.save(update_fields=["issued", "status"])
        reservation.issued, reservation.status = locked.issued, locked.status
        return movement


def reservation_release(*, actor, reservation: Reservation) -> Reservation:
    """Give back what is still held (the job needs no more of it)."""
    _check_may_move(actor, reservation.warehouse)
    return _release(reservation)


def _release(reservation: Reservation) -> Reservation:
    with transaction.atomic():
        balance, locked = _lock_reservation(reservation)
        balance.reserved -= locked.outstanding
        _save_balance(balance, ["reserved"])
        locked.released += locked.outstanding
        _close_if_done(locked)
        locked.save(update_fields=["released", "status"])
        return locked


def reservations_release_for(*, ticket_reference: str) -> list[Reservation]:
    """When a job ends (a ticket resolved or cancelled), what it still holds goes back to stock.

    No actor check: the job's own end releases its holds, whoever ended it; no movement is written
    (nothing leaves a shelf)."""
    released = []
    # One lock order: reservations in (warehouse, part) order, so two jobs ending at once never deadlock.
    open_ones = Reservation.objects.filter(ticket_reference=ticket_reference, status=ReservationStatus.OPEN)
    for reservation in open_ones.select_related("part", "warehouse").order_by("warehouse_id", "part_id", "pk"):
        try:
            released.append(_release(reservation))
        except ValidationError:
            continue  # closed meanwhile
    return released


__all__ = [
    "OutOfStock",
    "can_create_part",
    "can_move_stock",
    "part_create",
    "part_update",
    "reservation_create",
    "reservation_issue",
    "reservation_plan",
    "reservation_release",
    "reservations_release_for",
    "stock_move",
    "stock_reorder_point_set",
    "stock_reserve",
    "stock_transfer_receive",
    "stock_transfer_send",
    "warehouse_create",
    "warehouse_update",
]
