"""Synthetic staff: agents, supervisors and certified technicians in their role groups."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from aftersales.core.roles import AGENT, SUPERVISOR, TECHNICIAN
from tickets.models import Technician


def staff(count: int, role: str, prefix: str) -> list:
    """Synthetic staff in a role group (unusable passwords: benchmarks set one where they log in)."""
    user_model = get_user_model()
    group = Group.objects.get(name=role)
    users = []
    for index in range(1, count + 1):
        user, created = user_model.objects.get_or_create(
            username=f"synth_{prefix}{index:03d}", defaults={"is_staff": True, "first_name": f"{prefix} {index}"}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(group)
        users.append(user)
    return users


def technicians(count: int, *, regions: list, category, today: date) -> list:
    """Technicians certified long ago, spread over the regions, skilled in the synthetic category."""
    users = staff(count, TECHNICIAN, "tech")
    for index, user in enumerate(users):
        profile, created = Technician.objects.get_or_create(
            user=user,
            defaults={
                "region": regions[index % len(regions)],
                "knowledge_score": 90,
                "skill_score": 90,
                "behaviour_score": 90,
                "certified_on": today - timedelta(days=800),
            },
        )
        if created:
            profile.skills.add(category)
    return users


def agents() -> list:
    return staff(8, AGENT, "agent")


def supervisors() -> list:
    return staff(2, SUPERVISOR, "supervisor")
