"""Synthetic customers (N/3, 5 % key accounts, in the 4 synthetic regions) and their units (N/2)."""

from __future__ import annotations

from datetime import timedelta

from aftersales.core.models import Customer
from warranty.choices import SalesChannel
from warranty.models import RegisteredUnit

from .bulk import Table, next_id
from .context import Run

BATCH = 50_000


def write_customers(run: Run) -> None:
    rng, now, people = run.rng, run.now, run.population
    customers = Table(Customer, ["name", "phone", "email", "address", "region_id", "tier", "created_at"], now)
    people.customer_count = max(10, run.total // 3)
    people.first_customer = next_id(Customer)
    earliest = now - timedelta(days=run.span_days + 400)
    for index in range(people.customer_count):
        region = run.ref.regions[index % len(run.ref.regions)]
        tier = Customer.Tier.KEY_ACCOUNT if rng.random() < 0.05 else Customer.Tier.STANDARD
        people.customer_region.append(region.pk)
        people.customer_tier.append(tier)
        customers.add(
            people.first_customer + index,
            (
                f"客户{index}",
                f"139{index:08d}",
                f"c{index}@example.com" if index % 4 == 0 else "",
                f"上海市浦东新区世纪大道 {index} 号",
                region.pk,
                tier,
                earliest,
            ),
        )
        if customers.count >= BATCH:
            run.writer.put(customers)
    run.writer.put(customers)
    run.result.counts["customers"] = people.customer_count


def write_units(run: Run) -> None:
    """Units bought in the year before the history starts, each owned by customer ``index % customers``."""
    rng, now, people = run.rng, run.now, run.population
    units = Table(
        RegisteredUnit,
        ["serial", "product_model_id", "customer_id", "purchase_date", "sales_channel", "install_date"],
        now,
    )
    people.unit_count = max(10, run.total // 2)
    people.first_unit = next_id(RegisteredUnit)
    first_day = (now - timedelta(days=run.span_days + 365)).date()
    channels = list(SalesChannel.values)
    product_models = run.ref.product_models
    for index in range(people.unit_count):
        purchased = first_day + timedelta(days=rng.randrange(365))
        units.add(
            people.first_unit + index,
            (
                f"SYN{run.seed:04d}{index:09d}",
                product_models[index % len(product_models)].pk,
                people.first_customer + index % people.customer_count,
                purchased,
                channels[index % len(channels)],
                purchased + timedelta(days=rng.randrange(10)) if index % 3 else None,
            ),
        )
        if units.count >= BATCH:
            run.writer.put(units)
    run.writer.put(units)
    run.result.counts["units"] = people.unit_count


def write_customers_and_units(run: Run) -> None:
    write_customers(run)
    write_units(run)
