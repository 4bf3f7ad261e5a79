"""Writes of the core models that are not calendars, clocks or the outbox: customers."""

from django.db import transaction

from .models import Customer, Region
from .phones import lock_phones, normalize_phone
from .selectors import customer_by_phone


def clean_phone(raw: str) -> str:
    """The normalised number, validated as stored; raises ValidationError for forms and the API."""
    phone = normalize_phone(raw)
    Customer._meta.get_field("phone").run_validators(phone)
    return phone


_CUSTOMER_FIELDS = ("name", "phone", "email", "address", "region", "tier", "language", "portal_user")


def _apply(customer: Customer, values: dict) -> Customer:
    unknown = set(values) - set(_CUSTOMER_FIELDS)
    if unknown:
        raise ValueError(f"unknown customer fields: {sorted(unknown)}")
    for name, value in values.items():
        setattr(customer, name, normalize_phone(value) if name == "phone" else value)
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def customer_create(*, name: str, phone: str, **values) -> Customer:
    return _apply(Customer(), {"name": name, "phone": phone, **values})


@transaction.atomic
def customer_for_phone(*, name: str, phone: str, **values) -> Customer:
    """The earliest customer with this number, else a new one — one, however many ask at once.

    Nothing given here changes an existing customer's record (a stranger's form must not).
    """
    lock_phones([phone])
    return customer_by_phone(phone) or customer_create(name=name, phone=phone, **values)


@transaction.atomic
def customer_update(*, customer: Customer, **values) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    return _apply(customer, values)


def region_get_or_create(*, code: str, name: str) -> Region:
    region, _ = Region.objects.get_or_create(code=code, defaults={"name": name})
    return region
