"""Test data for tickets: technicians, customers with units, tickets in a given state."""

from datetime import date

from aftersales.core.models import Customer, Region
from tickets.models import Technician
from tickets.services import ticket_create, ticket_transition
from warranty.models import ProductCategory, ProductModel
from warranty.services import policy_create, unit_register


def region(code: str = "east") -> Region:
    return Region.objects.get_or_create(code=code, defaults={"name": code})[0]


def customer(*, tier: str = "standard", phone: str = "13800138000", name: str = "赵敏") -> Customer:
    return Customer.objects.create(name=name, phone=phone, email="zhao@example.com", region=region(), tier=tier)


def air_conditioner() -> ProductModel:
    category, _ = ProductCategory.objects.get_or_create(code="ac", defaults={"name": "Air conditioners"})
    model, created = ProductModel.objects.get_or_create(
        code="KFR-35GW", defaults={"name": "Split air conditioner", "category": category}
    )
    if created:
        policy_create(product_model=model, effective_from=date(2020, 1, 1), base_months=12)
    return model


def unit(*, serial: str = "KFR35-0001", purchase_date: date = date(2026, 6, 1), owner: Customer | None = None):
    return unit_register(serial=serial, product_model=air_conditioner(), purchase_date=purchase_date, customer=owner)


def technician(make_user, *, certified: bool = True, username: str | None = None):
    user = make_user("technician", username=username)
    profile = Technician.objects.create(
        user=user,
        region=region(),
        knowledge_score=90 if certified else 50,
        skill_score=90,
        behaviour_score=90,
        certified_on=date(2026, 1, 10) if certified else None,
    )
    profile.skills.add(air_conditioner().category)
    return user


# The repair path of CONTRACT.md §4, with the fields each step needs.
REPAIR_PATH = [
    ("acknowledge", "agent", {}),
    ("diagnose", "technician", {"diagnosis": "compressor relay stuck", "fault_cause": "quality_defect"}),
    ("dispatch", "supervisor", {"technician": None}),  # filled with the technician's username
    ("start_work", "technician", {}),
    ("resolve", "technician", {"resolution": "relay replaced", "functional_test": "passed"}),
]


def ticket_in(status: str, *, staff: dict, now, ticket_type: str = "repair", priority: str = "normal", owner=None):
    """A ticket walked along the repair path until it reaches ``status``."""
    owner = owner or customer()
    created = ticket_create(
        customer=owner, ticket_type=ticket_type, priority=priority, description="不制冷", actor=staff["agent"], now=now
    )
    ticket = created.ticket
    for action, role, data in REPAIR_PATH:
        if ticket.status == status:
            break
        data = {**data, "technician": staff["technician"].username} if action == "dispatch" else data
        ticket = ticket_transition(ticket=ticket, action=action, actor=staff[role], data=data, now=now)
    assert ticket.status == status, ticket.status
    return ticket


def staff(make_user) -> dict:
    return {
        "agent": make_user("agent"),
        "technician": technician(make_user),
        "supervisor": make_user("supervisor"),
        "manager": make_user("manager"),
        "coordinator": make_user("coordinator"),
        "nobody": make_user(None),
    }
