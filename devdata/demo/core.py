"""Demo data of the core: role users, calendars, regions, customers. Idempotent.

``manage.py seed_demo`` runs it first (``devdata.demo.SEEDS``); the other modules of ``devdata.demo``
add each app's data on top.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from aftersales.core import roles
from aftersales.core.calendars.services import calendar_ensure_defaults, calendar_fill_public_holidays
from aftersales.core.models import Customer
from aftersales.core.services import customer_create, region_get_or_create

DEMO_PASSWORD = "aftersales-demo"  # noqa: S105 - the published demo password (CONTRACT.md §2)
DEMO_USERS = [
    # username, role group (None for the superuser), display name
    ("admin", None, "系统管理员 Admin"),
    ("agent", roles.AGENT, "客服 王芳"),
    ("technician", roles.TECHNICIAN, "维修技师 李强"),
    ("supervisor", roles.SUPERVISOR, "服务主管 张伟"),
    ("manager", roles.MANAGER, "服务经理 刘洋"),
    ("coordinator", roles.COORDINATOR, "应急协调员 陈静"),
]
DEMO_REGIONS = [("east", "华东区"), ("north", "华北区"), ("south", "华南区"), ("west", "西部区")]
DEMO_CUSTOMERS = [
    (
        "上海明达贸易有限公司",
        "13800138001",
        "purchasing@mingda.example",
        "上海市浦东新区张江路 100 号",
        "east",
        "key_account",
    ),
    ("赵敏", "13912345678", "zhaomin@example.com", "北京市朝阳区建国路 88 号", "north", "standard"),
    ("孙磊", "13698765432", "", "广州市天河区体育西路 12 号", "south", "standard"),
    (
        "Chengdu Harbor Hotel",
        "02887654321",
        "facilities@harbor-hotel.example",
        "成都市锦江区红星路 3 段",
        "west",
        "key_account",
    ),
    ("周婷", "18611112222", "zhouting@example.com", "杭州市西湖区文三路 8 号", "east", "standard"),
    ("Wu Jun", "+8613500001111", "wujun@example.net", "天津市南开区卫津路 92 号", "north", "standard"),
]


def _ensure_user(username: str, group_name: str | None, display_name: str):
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    if created:
        user.set_password(DEMO_PASSWORD)
    first, _, last = display_name.partition(" ")
    user.first_name, user.last_name = first[:150], last[:150]
    user.email = f"{username}@aftersales.invalid"
    user.is_staff = True
    user.is_superuser = group_name is None
    user.save()
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    return user, created


@transaction.atomic
def seed(stdout) -> None:
    roles.roles_sync()
    for username, group_name, display_name in DEMO_USERS:
        _ensure_user(username, group_name, display_name)
    business, _ = calendar_ensure_defaults()
    this_year = date.today().year
    for year in (this_year, this_year + 1):
        calendar_fill_public_holidays(calendar=business, year=year)
    regions = {code: region_get_or_create(code=code, name=name) for code, name in DEMO_REGIONS}
    for name, phone, email, address, region, tier in DEMO_CUSTOMERS:
        if not Customer.objects.filter(phone=phone).exists():
            customer_create(name=name, phone=phone, email=email, address=address, region=regions[region], tier=tier)
    stdout.write(f"core: {len(DEMO_USERS)} users, 2 calendars, {len(DEMO_REGIONS)} regions, customers ready")
