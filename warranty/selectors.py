"""Reads of the warranty app for screens, the API and other apps."""

from collections.abc import Sequence
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Collate

from aftersales.core.phones import normalize_phone
from aftersales.core.privacy import can_see_contact, customer_summary
from aftersales.core.selectors import customers_visible_to

from .models import ProductModel, Quote, RegisteredUnit, UnitImport, WarrantyPolicy
from .periods import last_covered_day


def policy_in_force(*, product_model_id: int, on_date: date) -> WarrantyPolicy | None:
    """The policy version a unit bought on ``on_date`` keeps for life."""
    return (
        WarrantyPolicy.objects.filter(product_model_id=product_model_id, effective_from__lte=on_date)
        .prefetch_related("component_warranties__component")
        .order_by("-effective_from")
        .first()
    )


def unit_by_serial(serial: str) -> RegisteredUnit | None:
    """Find a unit however its serial was typed: exactly, else upper-cased (most models fold case)."""
    serial = (serial or "").strip()
    if not serial:
        return None
    units = RegisteredUnit.objects.select_related("product_model__category")
    return units.filter(serial=serial).first() or units.filter(serial=serial.upper()).first()


def models_on_sale() -> QuerySet[ProductModel]:
    """The models a customer may pick when their serial is not registered (the portal's warranty check)."""
    return ProductModel.objects.filter(is_active=True).order_by("name", "code")


def unit_list(*, user=None, search: str = "") -> QuerySet[RegisteredUnit]:
    """Units, newest purchase first; for ``user``, with their owners as that user may see them.

    With a user the rows carry ``owner_visible`` (read by ``unit_owner``) and ``search`` follows the
    owner policy of ``unit_search_condition``. Without one (internal callers: demo data, renewal
    lists) nothing is annotated and a search matches serials only.
    """
    units = RegisteredUnit.objects.select_related("product_model", "customer__region")
    if user is not None:
        units = with_owner_visibility(units, user)
    search = search.replace("\x00", "").strip()
    if search:
        units = units.filter(unit_search_condition(search, user))
    return units.order_by("-purchase_date", "serial")


def with_owner_visibility(units: QuerySet[RegisteredUnit], user) -> QuerySet[RegisteredUnit]:
    """``units`` with ``owner_visible``: whether ``user`` may see who owns each (``unit_owner``)."""
    visible = customers_visible_to(user).filter(pk=OuterRef("customer_id"))
    return units.annotate(owner_visible=Exists(visible))


def unit_search_condition(search: str, user) -> Q:
    """A serial (exactly or its start) or, for a role that sees phone numbers in clear, part of an
    owner's number (at least 4 digits) among the customers this user may see.

    A role that sees masked numbers gets no phone search at all: matching partial numbers against the
    hidden digits would reveal them (004 §4.3); and nobody finds units through an owner they may not
    see. The case lists follow the same rule (``core.selectors.case_search_condition``).
    """
    condition = Q(serial__iexact=search) | Q(serial__istartswith=search)
    phone = normalize_phone(search)
    digits = phone.removeprefix("+")
    if user is not None and can_see_contact(user) and len(digits) >= 4 and digits.isdigit():
        condition |= Q(customer__phone__contains=phone, customer__in=customers_visible_to(user))
    return condition


def unit_owner(unit: RegisteredUnit, user) -> dict | None:
    """The owner of ``unit`` as ``user`` may see them: ``{"id", "name", "phone"}`` or None.

    None when the unit has no owner or the owner is not a customer ``user`` may see
    (``core.selectors.customers_visible_to``: a technician sees the customers of their own tickets);
    otherwise as ``core.privacy.customer_summary`` shows a customer to this user (the phone masked
    for roles that see masked values). ``unit`` comes from ``unit_list(user=user)``; a unit read any
    other way shows no owner.
    """
    if unit.customer_id is None or not getattr(unit, "owner_visible", False):
        return None
    summary = customer_summary(unit.customer, user)
    return {"id": summary["id"], "name": summary["name"], "phone": summary["phone"]}


def customer_units_visible(units: QuerySet[RegisteredUnit], *, customer_id: int, user) -> QuerySet[RegisteredUnit]:
    """The units of one owner, if ``user`` may see that customer; none otherwise."""
    return units.filter(customer_id=customer_id, customer__in=customers_visible_to(user))


def _purchase_dates_expiring(months: int, first: date, last: date) -> tuple[date, date]:
    """The purchase dates whose base warranty of ``months`` ends between ``first`` and ``last``."""
    day = timedelta(days=1)
    # last_covered_day is monotonic in the purchase date; start near the inverse and step to the edge.
    earliest = last_covered_day(first, -months) - 3 * day
    while last_covered_day(earliest, months) < first:
        earliest += day
    latest = last_covered_day(last, -months) + 3 * day
    while last_covered_day(latest, months) > last:
        latest -= day
    return earliest, latest


def units_expiring(*, today: date, days: int = 30) -> QuerySet[RegisteredUnit]:
    """Units whose base warranty ends within ``days`` days from ``today`` (renewal offers, reminders).

    One query whatever the number of units: each policy version turns into a purchase-date range.
    """
    condition = Q(pk__in=[])
    policies = WarrantyPolicy.objects.order_by("product_model_id", "effective_from")
    by_model: dict[int, list[WarrantyPolicy]] = {}
    for policy in policies:
        by_model.setdefault(policy.product_model_id, []).append(policy)
    for model_id, versions in by_model.items():
        for index, policy in enumerate(versions):
            earliest, latest = _purchase_dates_expiring(policy.base_months, today, today + timedelta(days=days))
            window = Q(product_model_id=model_id, purchase_date__gte=max(earliest, policy.effective_from))
            if index + 1 < len(versions):
                window &= Q(purchase_date__lt=versions[index + 1].effective_from)
            condition |= window & Q(purchase_date__lte=latest)
    return unit_list().filter(condition)


def unit_imports_visible_to(user) -> QuerySet[UnitImport]:
    """The imports this user uploaded, or every import with ``view_all_unitimports`` (supervisors)."""
    imports = UnitImport.objects.select_related("created_by")
    return imports if user.has_perm("warranty.view_all_unitimports") else imports.filter(created_by=user)


def quotes_visible_to(user) -> QuerySet[Quote]:
    """Who may see a quote follows who may see the ticket that uses it (least privilege).

    Roles that see every ticket (the service desk, supervisors, managers) hold
    ``warranty.view_all_quotes`` and see every quote; someone who works only the tickets assigned to
    them — a technician — sees the quotes of those tickets and nothing else (not a colleague's, not
    one waiting for a customer's answer, not one made outside a ticket). The tickets app sits above
    this one, so the rule follows the ticket's foreign key by its query name, without importing it.
    """
    quotes = Quote.objects.all()
    if not (user and user.is_active and user.has_perm("warranty.view_quote")):
        return quotes.none()
    if user.is_superuser or user.has_perm("warranty.view_all_quotes"):
        return quotes
    return quotes.filter(pk__in=Quote.objects.filter(tickets__assignee=user).values("pk"))


def units_in_scope(
    *,
    models: Sequence[str] = (),
    serial_from: str = "",
    serial_to: str = "",
    sold_from: date | None = None,
    sold_to: date | None = None,
    regions: Sequence[str] = (),
) -> QuerySet[RegisteredUnit]:
    """The registered units an incident's scope names (emergency response, CONTRACT.md §4), one SQL query.

    Every given field narrows the set (AND): model codes, an inclusive serial range, an inclusive range
    of purchase (sale) dates, the owners' region codes. Serials compare byte by byte (``COLLATE "C"``),
    so a range means the same on every database whatever its collation. A scope naming none of these
    fields names no unit (an outage affects no product), never the whole installed base.
    """
    if not (models or serial_from or serial_to or sold_from or sold_to or regions):
        return RegisteredUnit.objects.none()
    units = RegisteredUnit.objects.all()
    if models:
        units = units.filter(product_model__code__in=list(models))
    if serial_from or serial_to:
        units = units.annotate(serial_bytes=Collate("serial", "C"))
        if serial_from:
            units = units.filter(serial_bytes__gte=Collate(Value(serial_from), "C"))
        if serial_to:
            units = units.filter(serial_bytes__lte=Collate(Value(serial_to), "C"))
    if sold_from:
        units = units.filter(purchase_date__gte=sold_from)
    if sold_to:
        units = units.filter(purchase_date__lte=sold_to)
    if regions:
        units = units.filter(customer__region__code__in=list(regions))
    return units
