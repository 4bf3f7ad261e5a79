"""Spare parts: the catalogue, warehouses, and stock as an append-only movement log (REQUIREMENTS §10).

``StockBalance`` is the running total of ``StockMovement`` rows for one part in one warehouse; the
services write both in one transaction and the database refuses a negative balance.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Part(models.Model):
    sku = models.CharField(_("part number"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    product_model = models.ForeignKey(
        "warranty.ProductModel", on_delete=models.PROTECT, related_name="parts", verbose_name=_("product model")
    )
    component = models.ForeignKey(
        "warranty.Component",
        on_delete=models.PROTECT,
        related_name="parts",
        null=True,
        blank=True,
        verbose_name=_("component"),
    )
    serial_tracked = models.BooleanField(_("serial-tracked"), default=False)
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["sku"]
        verbose_name = _("part")
        verbose_name_plural = _("parts")
        constraints = [models.CheckConstraint(condition=Q(price__gte=0), name="parts_part_price_not_negative")]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class WarehouseTier(models.TextChoices):
    CENTRAL = "central", _("central")
    REGIONAL = "regional", _("regional")
    VAN = "van", _("van / station")


class Warehouse(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    tier = models.CharField(_("tier"), max_length=10, choices=WarehouseTier.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="warehouses",
        verbose_name=_("owner"),
    )
    # The service region a store or van serves; the central warehouse serves them all (null).
    region = models.ForeignKey(
        "core.Region",
        on_delete=models.PROTECT,
        related_name="warehouses",
        null=True,
        blank=True,
        verbose_name=_("region"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")

    def __str__(self) -> str:
        return self.code


class StockBalance(models.Model):
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="balances", verbose_name=_("part"))
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="balances", verbose_name=_("warehouse")
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    # Available below this is low stock (0: no alert); set by the stock manager per part and warehouse.
    reorder_point = models.PositiveIntegerField(_("reorder point"), default=0)
    # Set when available fell below the reorder point (and the stock manager was told), cleared when
    # it is back: one alert per crossing. ``low_stock_alerts`` numbers the crossings (the outbox key).
    low_since = models.DateTimeField(_("low since"), null=True, blank=True)
    low_stock_alerts = models.PositiveIntegerField(_("low-stock alerts"), default=0)

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        constraints = [
            models.UniqueConstraint(fields=["part", "warehouse"], name="parts_balance_one_per_part_warehouse"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="parts_balance_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="parts_balance_reserved_not_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")), name="parts_balance_reserved_within_stock"),
        ]

    def __str__(self) -> str:
        return f"{self.part_id}@{self.warehouse_id}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("receipt")
    ISSUE = "issue", _("issue")
    RETURN = "return", _("return")
    TRANSFER_OUT = "transfer_out", _("transfer out")
    TRANSFER_IN = "transfer_in", _("transfer in")
    SCRAP = "scrap", _("scrap")
    ADJUSTMENT = "adjustment", _("count adjustment")


class StockMovement(models.Model):
    """One change of stock; ``quantity`` is signed (positive adds to on hand). Append-only."""

    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="movements", verbose_name=_("part"))
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="movements", verbose_name=_("warehouse")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MovementKind.choices)
    quantity = models.IntegerField(_("quantity"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    reason = models.CharField(_("reason"), max_length=200)
    ticket_reference = models.CharField(_("ticket / incident"), max_length=50, blank=True)
    transfer = models.ForeignKey("Transfer", on_delete=models.PROTECT, null=True, blank=True, related_name="movements")
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        constraints = [models.CheckConstraint(condition=~Q(quantity=0), name="parts_movement_not_zero")]
        permissions = [
            ("move_any_stock", _("Can move stock in any warehouse")),
            # Without it a technician sees their own van and the central and regional stores only.
            ("view_any_stock", _("Can see stock and movements in every warehouse")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity:+d}"


class TransferStatus(models.TextChoices):
    IN_TRANSIT = "in_transit", _("in transit")
    RECEIVED = "received", _("received")


class Transfer(models.Model):
    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="transfers")
    source = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="transfers_out")
    destination = models.ForeignKey(Warehouse, on_delete=models.PROTECT, related_name="transfers_in")
    quantity = models.PositiveIntegerField(_("quantity"))
    status = models.CharField(_("status"), max_length=12, choices=TransferStatus.choices)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        constraints = [
            models.CheckConstraint(condition=~Q(source=F("destination")), name="parts_transfer_two_places"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="parts_transfer_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}->{self.destination_id} x{self.quantity}"


class ReservationStatus(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("closed")


class Reservation(models.Model):
    """Units held in one warehouse for one ticket or incident, from the repair plan until they are
    issued or released. The held units are counted in ``StockBalance.reserved``; a reservation
    records for whom, so the issue is made against it and the rest released when the job ends."""

    part = models.ForeignKey(Part, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("part"))
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("warehouse")
    )
    ticket_reference = models.CharField(_("ticket / incident"), max_length=50, db_index=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    issued = models.PositiveIntegerField(_("issued"), default=0)
    released = models.PositiveIntegerField(_("released"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=ReservationStatus.choices, default=ReservationStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="parts_reservation_positive"),
            models.CheckConstraint(
                condition=Q(issued__gte=0) & Q(released__gte=0) & Q(quantity__gte=F("issued") + F("released")),
                name="parts_reservation_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_reference}: {self.part_id}@{self.warehouse_id} x{self.quantity}"

    @property
    def outstanding(self) -> int:
        """Still held: neither issued nor released."""
        return self.quantity - self.issued - self.released
