"""Writes of the core models that are not calendars, clocks or the outbox: customers."""

import re

from django.db import transaction

from .models import Customer, Region

_PHONE_NOISE = re.compile(r"[\s\-().]")


def normalize_phone(raw: str) -> str:
    """Digits and an optional leading +, however the number was typed ("138 0013-8000")."""
    return _PHONE_NOISE.sub("", raw or "")


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
def customer_update(*, customer: Customer, **values) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    return _apply(customer, values)


def region_get_or_create(*, code: str, name: str) -> Region:
    region, _ = Region.objects.get_or_create(code=code, defaults={"name": name})
    return region
