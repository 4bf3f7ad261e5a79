"""Reads of the core models for screens and the API, at a fixed number of queries per page."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from .models import Customer, SlaClock
from .services import normalize_phone


def customer_list(*, search: str = "") -> QuerySet[Customer]:
    customers = Customer.objects.select_related("region")
    search = search.replace("\x00", "")  # PostgreSQL text cannot hold NUL
    if search:
        phone = normalize_phone(search)
        condition = Q(name__icontains=search) | Q(email__iexact=search)
        if phone.lstrip("+").isdigit():
            condition |= Q(phone__contains=phone)
        customers = customers.filter(condition)
    return customers.order_by("name", "id")


def clocks_for(subject) -> QuerySet[SlaClock]:
    return SlaClock.objects.filter(
        content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk
    ).order_by("name", "cycle")
