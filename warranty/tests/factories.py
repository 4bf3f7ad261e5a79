"""factory_boy factories of the warranty app.

Objects with a service are made through it (policies get their version from
``services.policy_create``, units their normalised serial from ``services.unit_register``), so tests
build data the way the product does.
"""

from __future__ import annotations

from datetime import date

import factory

from aftersales.core.models import Customer
from aftersales.core.services import customer_create
from warranty import services
from warranty.choices import ProductKind
from warranty.models import (
    Component,
    ComponentWarranty,
    ExtendedWarranty,
    ProductCategory,
    ProductModel,
    RegisteredUnit,
    WarrantyPolicy,
)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda number: f"Customer {number}")
    phone = factory.Sequence(lambda number: f"139{number:08d}")
    address = factory.Sequence(lambda number: f"上海市浦东新区测试路 {number} 号")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return customer_create(**kwargs)


class ProductCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductCategory
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda number: f"category-{number}")
    name = factory.Sequence(lambda number: f"Category {number}")


class ProductModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductModel
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda number: f"MODEL-{number:03d}")
    name = factory.Sequence(lambda number: f"Model {number}")
    category = factory.SubFactory(ProductCategoryFactory)
    kind = ProductKind.HARDWARE


class ComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Component
        django_get_or_create = ("product_model", "code")

    product_model = factory.SubFactory(ProductModelFactory)
    code = "compressor"
    name = "Compressor"


class PolicyFactory(factory.django.DjangoModelFactory):
    """A policy version made by ``services.policy_create`` (which numbers it); extra terms pass through."""

    class Meta:
        model = WarrantyPolicy

    product_model = factory.SubFactory(ProductModelFactory)
    effective_from = date(2020, 1, 1)
    base_months = 12

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        kwargs.pop("version", None)
        return services.policy_create(**kwargs)


class ComponentWarrantyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ComponentWarranty

    policy = factory.SubFactory(PolicyFactory)
    component = factory.SubFactory(ComponentFactory, product_model=factory.SelfAttribute("..policy.product_model"))
    months = 60


class UnitFactory(factory.django.DjangoModelFactory):
    """A registered unit made by ``services.unit_register`` (serial trimmed and case-folded)."""

    class Meta:
        model = RegisteredUnit

    serial = factory.Sequence(lambda number: f"SN-{number:06d}")
    product_model = factory.SubFactory(ProductModelFactory)
    purchase_date = date(2026, 3, 1)
    customer = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.unit_register(**kwargs)


class ExtendedWarrantyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExtendedWarranty

    unit = factory.SubFactory(UnitFactory)
    reference = factory.Sequence(lambda number: f"EXT-{number:05d}")
    starts_on = date(2026, 1, 1)
    ends_on = date(2027, 12, 31)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.extended_warranty_add(**kwargs)
