"""Reads of parts and stock: who sees what (parts/permissions.py).

- The catalogue and the list of warehouses: anyone with the view permission.
- Stock rows: ``parts.view_any_stock`` sees every warehouse; a technician sees their own van(s) and
  the central and regional stores — enough to know, before leaving, where a part is — but not other
  technicians' vans.
- Movements (who moved what, why): ``parts.view_any_stock`` sees all; a technician those of their own
  warehouses.
"""

from __future__ import annotations

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

from .models import Part, Reservation, StockBalance, StockMovement, Transfer, Warehouse, WarehouseTier
from .permissions import VIEW_ANY

# Stores every technician may look into; vans are private to their owner.
SHARED_TIERS = (WarehouseTier.CENTRAL, WarehouseTier.REGIONAL)


def _may(user, perm: str) -> bool:
    return user is not None and user.is_active and user.has_perm(perm)


# --- catalogue ------------------------------------------------------------------------------


def parts_visible_to(user) -> QuerySet[Part]:
    if not _may(user, "parts.view_part"):
        return Part.objects.none()
    return Part.objects.all()


def part_list(
    *, user, model: str = "", component: str = "", search: str = "", is_active: bool | None = None
) -> QuerySet[Part]:
    """The catalogue, by part number; ``model`` / ``component`` are codes, ``search`` part number or name."""
    parts = parts_visible_to(user).select_related("product_model", "component")
    if model:
        parts = parts.filter(product_model__code=model)
    if component:
        parts = parts.filter(component__code=component)
    if is_active is not None:
        parts = parts.filter(is_active=is_active)
    if search := search.strip().replace("\x00", ""):
        parts = parts.filter(Q(sku__icontains=search) | Q(name__icontains=search))
    return parts.order_by("sku")


# --- warehouses -----------------------------------------------------------------------------


def warehouses_visible_to(user) -> QuerySet[Warehouse]:
    """Every warehouse for ``view_any_stock``; otherwise one's own and the shared stores."""
    if not _may(user, "parts.view_warehouse"):
        return Warehouse.objects.none()
    if user.has_perm(VIEW_ANY):
        return Warehouse.objects.all()
    return Warehouse.objects.filter(Q(owner=user) | Q(tier__in=SHARED_TIERS))


def warehouse_list(*, user, tier: str = "", region: str = "", mine: bool = False) -> QuerySet[Warehouse]:
    warehouses = warehouses_visible_to(user).select_related("owner", "region")
    if mine:
        warehouses = warehouses.filter(owner=user)
    if tier:
        warehouses = warehouses.filter(tier=tier)
    if region:
        warehouses = warehouses.filter(region__code=region)
    return warehouses.order_by("code")


def warehouses_of(user) -> QuerySet[Warehouse]:
    """ "My van": the warehouses this user owns (a technician's van or station)."""
    return warehouse_list(user=user, mine=True)


# --- stock ----------------------------------------------------------------------------------


def stock_visible_to(user) -> QuerySet[StockBalance]:
    if not _may(user, "parts.view_stockbalance"):
        return StockBalance.objects.none()
    return StockBalance.objects.filter(warehouse__in=warehouses_visible_to(user))


def stock_list(
    *,
    user,
    warehouse: str = "",
    mine: bool = False,
    part: str = "",
    model: str = "",
    tier: str = "",
    region: str = "",
    low: bool | None = None,
    available: bool | None = None,
) -> QuerySet[StockBalance]:
    """Stock rows (part × warehouse) this user may see.

    ``warehouse`` and ``part`` are a warehouse code and a part number; ``mine`` keeps the user's own
    warehouses; ``low`` the rows whose available quantity is below their reorder point;
    ``available`` the rows with (``True``) or without (``False``) a unit to take.
    """
    rows = stock_visible_to(user).select_related("part", "warehouse", "warehouse__region")
    if mine:
        rows = rows.filter(warehouse__owner=user)
    if warehouse:
        rows = rows.filter(warehouse__code=warehouse)
    if part:
        rows = rows.filter(part__sku=part)
    if model:
        rows = rows.filter(part__product_model__code=model)
    if tier:
        rows = rows.filter(warehouse__tier=tier)
    if region:
        rows = rows.filter(warehouse__region__code=region)
    if low is not None:
        below = Q(on_hand__lt=F("reserved") + F("reorder_point"))
        rows = rows.filter(below) if low else rows.exclude(below)
    if available is not None:
        has_some = Q(on_hand__gt=F("reserved"))
        rows = rows.filter(has_some) if available else rows.exclude(has_some)
    # The unique (part, warehouse) index gives this order without a sort.
    return rows.order_by("part_id", "warehouse_id")


def part_availability(*, user, part: Part) -> list[StockBalance]:
    """Where ``part`` can be taken now, nearest first: the user's own van, then the regional stores
    of the user's region (that of their van), then other regional stores, then the central
    warehouse. Only warehouses the user may see; only rows with a unit available."""
    own_regions = list(Warehouse.objects.filter(owner=user).exclude(region=None).values_list("region_id", flat=True))
    nearness = Case(
        When(warehouse__owner=user, then=Value(0)),
        When(warehouse__tier=WarehouseTier.REGIONAL, warehouse__region__in=own_regions, then=Value(1)),
        When(warehouse__tier=WarehouseTier.REGIONAL, then=Value(2)),
        When(warehouse__tier=WarehouseTier.CENTRAL, then=Value(3)),
        default=Value(4),
        output_field=IntegerField(),
    )
    rows = (
        stock_list(user=user, available=True)
        .filter(part=part)
        .annotate(nearness=nearness)
        .order_by("nearness", "warehouse__code")
    )
    return list(rows)


# --- movements and transfers ----------------------------------------------------------------


def movements_visible_to(user) -> QuerySet[StockMovement]:
    if not _may(user, "parts.view_stockmovement"):
        return StockMovement.objects.none()
    if user.has_perm(VIEW_ANY):
        return StockMovement.objects.all()
    return StockMovement.objects.filter(warehouse__owner=user)


def movement_list(
    *,
    user,
    warehouse: str = "",
    part: str = "",
    kind: str = "",
    ticket_reference: str = "",
) -> QuerySet[StockMovement]:
    """The movement log this user may see, newest first."""
    movements = movements_visible_to(user).select_related("part", "warehouse", "actor")
    if warehouse:
        movements = movements.filter(warehouse__code=warehouse)
    if part:
        movements = movements.filter(part__sku=part)
    if kind:
        movements = movements.filter(kind=kind)
    if ticket_reference:
        movements = movements.filter(ticket_reference=ticket_reference)
    return movements.order_by("-created_at", "-pk")


def transfers_visible_to(user) -> QuerySet[Transfer]:
    """Transfers from or to a warehouse whose movements this user may see."""
    if not _may(user, "parts.view_stockmovement"):
        return Transfer.objects.none()
    transfers = Transfer.objects.select_related("part", "source", "destination")
    if user.has_perm(VIEW_ANY):
        return transfers.order_by("-created_at", "-pk")
    return transfers.filter(Q(source__owner=user) | Q(destination__owner=user)).order_by("-created_at", "-pk")


def transfer_list(*, user, status: str = "", warehouse: str = "", part: str = "") -> QuerySet[Transfer]:
    transfers = transfers_visible_to(user)
    if status:
        transfers = transfers.filter(status=status)
    if warehouse:
        transfers = transfers.filter(Q(source__code=warehouse) | Q(destination__code=warehouse))
    if part:
        transfers = transfers.filter(part__sku=part)
    return transfers


def reservations_visible_to(user) -> QuerySet[Reservation]:
    """Every reservation for ``view_any_stock``; a technician those in their warehouses or made by them."""
    if not _may(user, "parts.view_reservation"):
        return Reservation.objects.none()
    reservations = Reservation.objects.select_related("part", "warehouse", "created_by")
    if not user.has_perm(VIEW_ANY):
        reservations = reservations.filter(Q(warehouse__owner=user) | Q(created_by=user))
    return reservations.order_by("-created_at", "-pk")


def reservation_list(
    *, user, ticket_reference: str = "", warehouse: str = "", part: str = "", status: str = ""
) -> QuerySet[Reservation]:
    reservations = reservations_visible_to(user)
    if ticket_reference:
        reservations = reservations.filter(ticket_reference=ticket_reference)
    if warehouse:
        reservations = reservations.filter(warehouse__code=warehouse)
    if part:
        reservations = reservations.filter(part__sku=part)
    if status:
        reservations = reservations.filter(status=status)
    return reservations
